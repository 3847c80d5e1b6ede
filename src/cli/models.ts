// `tributary models list|show|promote|rollback|export`: the model registry. Thin: parse, call
// src/tracking (and the ONNX exporter), print.
import { loadConfig } from '../config/index.ts';
import type { Command } from 'commander';
import { writeFileSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import { NotFoundError, parseModelRef, sha256HexOf, type ModelRegistry } from '../tracking/index.ts';
import type { OnnxModelSpec } from '../ml/core/onnx-spec.ts';
import { fail, printJson, printTable, usage } from './output.ts';
import { withTracking } from './with-tracking.ts';
import { buildServable } from '../serving/servables.ts';
import { UnloadableModelError } from '../serving/model-check.ts';
import { errorLine } from '../util/redact.ts';

/** Loads and checks a version as the API would before serving it; fails with the reason. */
async function checkServable(registry: ModelRegistry, name: string, version: number): Promise<void> {
  try {
    buildServable(await registry.loadModel(name, version));
  } catch (e) {
    if (e instanceof NotFoundError) return; // promote names the missing version in its own words
    const why = e instanceof UnloadableModelError ? errorLine(e) : `cannot be loaded: ${errorLine(e)}`;
    fail(`not promoted: ${name} v${version} ${why}`);
  }
}

const num = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)))) : String(v));
const brief = (o: Record<string, unknown>, max = 4) => Object.keys(o).slice(0, max).map((k) => `${k}=${num(o[k])}`).join(' ');

export function register(program: Command): void {
  const models = program.command('models').description('model registry: versions, champion/challenger aliases, promotion, rollback, ONNX export');

  models.command('list').description('registered models with their latest version, champion and challenger')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) =>
      withTracking(async ({ registry }) => {
        const list = await registry.listModels();
        if (o.json) return printJson(list, 'models');
        printTable(list.map((m) => ({
          name: m.name,
          latest: m.latestVersion,
          champion: m.champion ?? '',
          challenger: m.challenger ?? '',
          updated: m.updatedAt,
        })));
      }));

  models.command('show').argument('<model>', 'NAME (the model, its versions and alias history) or NAME@VERSION|NAME@champion (one version and its card)')
    .description('a model: its versions, metrics and alias history; or one version with its model card')
    .option('--limit <n>', 'versions to list', '20')
    .option('--json', 'print JSON')
    .action((ref: string, o: { limit: string; json?: boolean }) =>
      withTracking(async ({ registry }) => {
        if (ref.includes('@')) {
          const { name, ref: v } = parseModelRef(ref);
          const info = await registry.getVersion(name, v);
          if (o.json) return printJson(info);
          console.log(info.card);
          console.log(`aliases: ${info.aliases.join(', ') || 'none'}; artifact ${info.artifactPath} (${info.size} bytes)`);
          return;
        }
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) usage(`--limit must be an integer in 1..1000, got "${o.limit}"`);
        const summary = (await registry.listModels()).find((m) => m.name === ref);
        const versions = await registry.listVersions(ref, { limit }); // throws the clear not-found error
        const history = await registry.aliasHistory(ref);
        if (o.json) return printJson({ ...summary, versions, aliasHistory: history });
        console.log(`model ${ref}: ${summary!.latestVersion} version(s), champion v${summary!.champion ?? '-'}, challenger v${summary!.challenger ?? '-'}`);
        console.log('\nversions');
        printTable(versions.map((v) => ({
          version: v.version, aliases: v.aliases.join(','), kind: v.kind ?? '', created: v.createdAt, by: v.createdBy,
          run: v.runId ? v.runId.slice(0, 12) : '', metrics: brief(v.metrics),
        })));
        console.log('\nalias history');
        printTable(history.map((h) => ({
          at: h.at,
          alias: h.alias,
          action: h.action,
          from: h.fromVersion ?? '',
          to: h.toVersion ?? '',
          by: h.by,
          reason: h.reason ?? '',
        })));
      }));

  models.command('promote').argument('<name>').argument('<version>', 'version number to point the alias at')
    .description('point an alias (champion by default) at a version; recorded with who and why')
    .option('--alias <alias>', 'champion|challenger', 'champion')
    .option('--reason <text>', 'why (kept in the alias history)')
    .option('--by <who>', 'who (default: TRIBUTARY_USER or the OS user)')
    .option('--json', 'print JSON')
    .action((name: string, version: string, o: { alias: string; reason?: string; by?: string; json?: boolean }) =>
      withTracking(async ({ registry }) => {
        if (!/^v?\d+$/.test(version)) fail(`<version> must be a version number, got "${version}"`);
        // the same load check as the API's promote: a version that cannot be served never gets the alias
        await checkServable(registry, name, Number(version.replace(/^v/, '')));
        const move = await registry.promote(name, version, { alias: o.alias, reason: o.reason, by: o.by });
        await announce(move);
        if (o.json) return printJson(move);
        console.log(move.changed
          ? `${name}: ${move.alias} v${move.fromVersion ?? '-'} -> v${move.toVersion}`
          : `${name}: ${move.alias} is already v${move.toVersion}; nothing changed`);
      }));

  models.command('rollback').argument('<name>')
    .description('move an alias (champion by default) back to the version it pointed at before')
    .option('--alias <alias>', 'champion|challenger', 'champion')
    .option('--reason <text>', 'why (kept in the alias history)')
    .option('--by <who>', 'who (default: TRIBUTARY_USER or the OS user)')
    .option('--json', 'print JSON')
    .action((name: string, o: { alias: string; reason?: string; by?: string; json?: boolean }) =>
      withTracking(async ({ registry }) => {
        const move = await registry.rollback(name, { alias: o.alias, reason: o.reason, by: o.by });
        await announce(move);
        if (o.json) return printJson(move);
        console.log(`${name}: ${move.alias} v${move.fromVersion} -> v${move.toVersion} (rolled back)`);
      }));

  models.command('export').argument('<model>', 'NAME or NAME@VERSION|NAME@champion (default: champion)')
    .description('write a registered model in a portable format (ONNX: one graph from raw features to prediction)')
    .requiredOption('--out <file>', 'output file')
    .option('--format <format>', 'onnx', 'onnx')
    .option('--json', 'print {"model", "version", "out", "format", "bytes", "sha256"}')
    .action((ref: string, o: { out: string; format: string; json?: boolean }) =>
      withTracking(async ({ registry }) => {
        if (o.format !== 'onnx') usage(`--format: only "onnx" is supported, got "${o.format}"`);
        const { name, ref: v } = parseModelRef(ref);
        const model = await registry.loadModel(name, v); // sha256-verified
        // loaded here, not at the top: every other command would pay for onnxruntime and all of ml/
        const { onnxSpecOf } = await import('../analytics/onnx-forms.ts');
        const { exportOnnx } = await import('../ml/onnx/index.ts');
        const spec: OnnxModelSpec | null = onnxSpecOf(model.artifact);
        if (!spec) fail(`model "${name}" version ${model.version} is a ${model.kind ?? 'model'} which has no ONNX form`);
        const bytes = exportOnnx(spec, {
          graphName: name,
          modelVersion: model.version,
          docString: `${name} v${model.version} from the Tributary model registry`,
          metadata: {
            model: name, version: String(model.version), artifact_sha256: model.sha256,
            ...(model.runId ? { run_id: model.runId } : {}), code_version: model.lineage.codeVersion,
          },
        });
        const out = resolve(o.out);
        const tmp = `${out}.${process.pid}.tmp`;
        writeFileSync(tmp, bytes);
        renameSync(tmp, out);
        const sha256 = sha256HexOf(bytes);
        if (o.json) return printJson({ model: name, version: model.version, out, format: 'onnx', bytes: bytes.length, sha256 });
        console.log(`${name} v${model.version} -> ${out} (onnx, ${bytes.length} bytes, sha256 ${sha256})`);
      }));
}

/** Scale-out (NATS_URL): tells the API replicas at once (they would otherwise see it at their next poll). */
async function announce(move: { name: string; alias: string; toVersion: number; changed: boolean }): Promise<void> {
  const natsUrl = loadConfig().natsUrl;
  if (!natsUrl || !move.changed) return;
  const { openBus } = await import('../bus/index.ts');
  const { announcePromotion } = await import('../bus/promotions.ts');
  const bus = await openBus({ natsUrl });
  try { await announcePromotion(bus, { name: move.name, alias: move.alias, version: move.toVersion }); } finally { await bus.close(); }
}
