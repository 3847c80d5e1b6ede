// The model registry: named models with numbered, immutable versions (artifact file + sha256,
// metrics, params, model card, lineage) and the aliases `champion` and `challenger` that
// serving follows. Every alias move is appended to a history with who and why; version
// allocation and alias moves run under the model's lock, so concurrent processes leave one
// consistent state.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { nowIso, writeTransaction, type MetaDb, type MetaStore } from '../metadata/db.ts';
import type { ModelVersionRow } from '../metadata/schema.ts';
import { renderModelCard, type ModelCardFields } from './card.ts';
import { ArtifactIntegrityError, NotFoundError, RegistryError } from './errors.ts';
import { sha256Hex, writeFileAtomic } from './files.ts';
import { canonicalJson, checkSnapshotRefs, codeVersion as currentCodeVersion, configHash as hashConfig, type SnapshotRef } from './lineage.ts';

export const ALIASES = ['champion', 'challenger'] as const;
export type Alias = (typeof ALIASES)[number];

export interface LineageInput {
  /** lake table snapshots the training read */
  snapshots?: SnapshotRef[];
  seed?: number;
  /** the training configuration; its canonical-JSON sha256 is recorded as configHash */
  config?: unknown;
  /** given instead of config when the caller already hashed it */
  configHash?: string;
  /** defaults to the git sha of this checkout, or the package version */
  codeVersion?: string;
}

export interface RegisterOptions {
  /** the estimator's toJSON() (or its JSON text) */
  artifact: unknown;
  metrics?: Record<string, number>;
  params?: Record<string, unknown>;
  lineage?: LineageInput;
  /** the tracking run that trained it; its params and last metrics are used when not given */
  runId?: string;
  card?: ModelCardFields;
  by?: string;
}

export interface Lineage {
  snapshots: SnapshotRef[];
  codeVersion: string;
  configHash: string | null;
  seed: number | null;
  runId: string | null;
}

export interface ModelVersionInfo {
  name: string;
  version: number;
  createdAt: string;
  createdBy: string;
  runId: string | null;
  kind: string | null;
  artifactPath: string;
  sha256: string;
  size: number;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  lineage: Lineage;
  card: string;
  aliases: Alias[];
}

export interface LoadedModel extends ModelVersionInfo {
  /** the parsed artifact JSON, verified against its sha256 */
  artifact: unknown;
}

export interface ModelSummary {
  name: string;
  description: string | null;
  latestVersion: number;
  champion: number | null;
  challenger: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface AliasChange {
  id: number;
  alias: Alias;
  fromVersion: number | null;
  toVersion: number | null;
  action: 'register' | 'promote' | 'rollback';
  by: string;
  reason: string | null;
  at: string;
}

export interface AliasMove {
  name: string;
  alias: Alias;
  fromVersion: number | null;
  toVersion: number;
  /** false when the alias already pointed at that version (nothing recorded) */
  changed: boolean;
}

export interface ChampionState {
  version: number;
  updatedAt: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkModelName(name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new RegistryError(`model name ${JSON.stringify(name)} must be 1..128 characters of letters, digits, ".", "_" ` +
      `or "-", starting with a letter or digit`);
  }
  return name;
}

function checkAlias(alias: string): Alias {
  if (!(ALIASES as readonly string[]).includes(alias)) {
    throw new RegistryError(`alias must be one of ${ALIASES.join(', ')}, got ${JSON.stringify(alias)}`);
  }
  return alias as Alias;
}

export function defaultActor(): string {
  if (process.env.TRIBUTARY_USER) return process.env.TRIBUTARY_USER;
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** "NAME", "NAME@3", "NAME@champion" → name and version-or-alias. */
export function parseModelRef(ref: string, defaultRef: string = 'champion'): { name: string; ref: string } {
  const at = ref.lastIndexOf('@');
  return at < 0 ? { name: ref, ref: defaultRef } : { name: ref.slice(0, at), ref: ref.slice(at + 1) };
}

function artifactBytes(artifact: unknown): { bytes: Uint8Array; parsed: unknown } {
  if (artifact === undefined || artifact === null) throw new RegistryError('registerModel: artifact is required (the estimator\'s toJSON())');
  let text: string;
  if (typeof artifact === 'string' || artifact instanceof Uint8Array) {
    text = typeof artifact === 'string' ? artifact : Buffer.from(artifact).toString('utf8');
    try {
      JSON.parse(text);
    } catch (e) {
      throw new RegistryError(`registerModel: artifact text is not JSON: ${(e as Error).message}`);
    }
  } else {
    // typed arrays in a hand-built state would otherwise serialise as {"0":..}
    text = JSON.stringify(artifact, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v));
  }
  return { bytes: Buffer.from(text, 'utf8'), parsed: JSON.parse(text) };
}

function checkMetrics(m: unknown): Record<string, number> {
  if (m === undefined) return {};
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new RegistryError('registerModel: metrics must be an object of numbers');
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'number') throw new RegistryError(`registerModel: metrics.${k} must be a number, got ${JSON.stringify(v)}`);
  }
  return m as Record<string, number>;
}

export class ModelRegistry {
  readonly store: MetaStore;
  readonly home: string;
  private readonly checkSnapshots: boolean;

  /**
   * checkSnapshots (default true): lineage snapshots must exist in the lake catalog, so a
   * version can always be traced back to data that was really committed.
   */
  constructor(store: MetaStore, opts: { home: string; checkSnapshots?: boolean }) {
    this.store = store;
    this.home = opts.home;
    this.checkSnapshots = opts.checkSnapshots ?? true;
  }

  /** Registers a new version of a model (creating the model), returning it; a model's first version becomes its champion. */
  async registerModel(name: string, opts: RegisterOptions): Promise<ModelVersionInfo> {
    checkModelName(name);
    if (!opts || typeof opts !== 'object') throw new RegistryError('registerModel: options with an artifact are required');
    const { bytes, parsed } = artifactBytes(opts.artifact);
    const kind = parsed && typeof parsed === 'object' && typeof (parsed as { kind?: unknown }).kind === 'string' ? (parsed as { kind: string }).kind : null;
    const lin = opts.lineage ?? {};
    const snapshots = checkSnapshotRefs(lin.snapshots);
    if (lin.seed !== undefined && !Number.isSafeInteger(lin.seed)) {
      throw new RegistryError(`registerModel: lineage.seed must be an integer, got ${JSON.stringify(lin.seed)}`);
    }
    if (lin.configHash !== undefined && !/^[0-9a-f]{64}$/.test(lin.configHash)) throw new RegistryError('registerModel: lineage.configHash must be a sha256 hex digest');
    const cfgHash = lin.config !== undefined ? hashConfig(lin.config) : lin.configHash ?? null;
    const code = lin.codeVersion ?? currentCodeVersion();
    const by = opts.by ?? defaultActor();
    let metrics = checkMetrics(opts.metrics);
    let params = opts.params ?? {};
    if (opts.params !== undefined && (typeof opts.params !== 'object' || Array.isArray(opts.params))) {
      throw new RegistryError('registerModel: params must be an object');
    }

    const { db } = this.store;
    if (opts.runId !== undefined) {
      const run = await db.selectFrom('tracking_runs').select('id').where('id', '=', opts.runId).executeTakeFirst();
      if (!run) throw new RegistryError(`registerModel: runId ${opts.runId} is not a known run`);
      if (opts.metrics === undefined) {
        const rows = await db.selectFrom('tracking_latest_metrics').select(['key', 'value']).where('run_id', '=', opts.runId).execute();
        metrics = Object.fromEntries(rows.map((r) => [r.key, r.value === null ? NaN : Number(r.value)]));
      }
      if (opts.params === undefined) {
        const rows = await db.selectFrom('tracking_params').select(['key', 'value']).where('run_id', '=', opts.runId).execute();
        params = Object.fromEntries(rows.map((r) => [r.key, r.value]));
      }
    }
    if (this.checkSnapshots) await this.verifySnapshots(snapshots);

    // written before the transaction (no file IO under the lock); content-addressed, so a
    // failed transaction leaves nothing a later version could trip over
    const sha = sha256Hex(bytes);
    const stored = writeFileAtomic(this.home, join('registry', name, `${sha}.json`), bytes);

    return writeTransaction(this.store, async (trx) => {
      const at = nowIso();
      await trx.insertInto('registered_models')
        .values({ name, description: opts.card?.description ?? null, created_at: at, updated_at: at, latest_version: 0 })
        .onConflict((oc) => oc.column('name').doNothing()).execute();
      const model = await this.lockModel(trx, name);
      const version = model.latest_version + 1;
      const lineage: Lineage = { snapshots, codeVersion: code, configHash: cfgHash, seed: lin.seed ?? null, runId: opts.runId ?? null };
      const card = renderModelCard({
        name, version, kind, createdAt: at, createdBy: by, runId: opts.runId ?? null, metrics, params,
        snapshots, codeVersion: code, configHash: cfgHash, seed: lin.seed ?? null, sha256: sha, fields: opts.card ?? {},
      });
      await trx.updateTable('registered_models').set({ latest_version: version, updated_at: at }).where('name', '=', name).execute();
      await trx.insertInto('model_versions').values({
        model_name: name, version, created_at: at, created_by: by, run_id: opts.runId ?? null, kind,
        artifact_path: stored.path, artifact_sha256: sha, artifact_size: stored.size,
        metrics: canonicalJson(metrics), params: canonicalJson(params), lineage: canonicalJson(lineage),
        code_version: code, config_hash: cfgHash, seed: lin.seed ?? null, card,
      }).execute();
      if (snapshots.length) {
        await trx.insertInto('model_version_inputs')
          .values(snapshots.map((s) => ({ model_name: name, version, table_name: s.table, snapshot: s.snapshot }))).execute();
      }
      const aliases: Alias[] = [];
      if (version === 1) {
        await trx.insertInto('model_aliases').values({ model_name: name, alias: 'champion', version, updated_at: at }).execute();
        await trx.insertInto('model_alias_history').values({
          model_name: name, alias: 'champion', from_version: null, to_version: version, action: 'register',
          changed_by: by, reason: 'first version of the model', at,
        }).execute();
        aliases.push('champion');
      }
      return {
        name, version, createdAt: at, createdBy: by, runId: opts.runId ?? null, kind, artifactPath: stored.path,
        sha256: sha, size: stored.size, metrics, params, lineage, card, aliases,
      };
    });
  }

  /** The version's metadata and its artifact, refused when the file no longer matches its sha256. */
  async loadModel(name: string, versionOrAlias: number | string = 'champion'): Promise<LoadedModel> {
    const info = await this.getVersion(name, versionOrAlias);
    const abs = join(this.home, info.artifactPath);
    let bytes: Buffer;
    try {
      bytes = readFileSync(abs);
    } catch (e) {
      throw new RegistryError(`model "${name}" version ${info.version}: artifact ${abs} cannot be read ` +
        `(${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); was TRIBUTARY_HOME moved or the file deleted?`);
    }
    const actual = sha256Hex(bytes);
    if (actual !== info.sha256) throw new ArtifactIntegrityError(name, info.version, info.sha256, actual, abs);
    return { ...info, artifact: JSON.parse(bytes.toString('utf8')) };
  }

  /** A version's metadata without reading its artifact. */
  async getVersion(name: string, versionOrAlias: number | string = 'champion'): Promise<ModelVersionInfo> {
    const version = await this.resolve(name, versionOrAlias);
    const row = await this.store.db.selectFrom('model_versions').selectAll()
      .where('model_name', '=', name).where('version', '=', version).executeTakeFirstOrThrow();
    const aliases = await this.store.db.selectFrom('model_aliases').select(['alias', 'version']).where('model_name', '=', name).execute();
    return toInfo(row, aliases.filter((a) => a.version === version).map((a) => a.alias as Alias));
  }

  /** Turns "3", 3, "latest", "champion" or "challenger" into a version number that exists. */
  async resolve(name: string, versionOrAlias: number | string): Promise<number> {
    checkModelName(name);
    const { db } = this.store;
    const model = await db.selectFrom('registered_models').select(['latest_version']).where('name', '=', name).executeTakeFirst();
    if (!model) throw new NotFoundError(`no model named "${name}" in the registry`);
    const ref = typeof versionOrAlias === 'string' ? versionOrAlias.trim().replace(/^v(?=\d+$)/, '') : versionOrAlias;
    if (ref === 'latest') return model.latest_version;
    const asNum = typeof ref === 'number' ? ref : /^\d+$/.test(ref) ? Number(ref) : undefined;
    if (asNum !== undefined) {
      const row = await db.selectFrom('model_versions').select('version').where('model_name', '=', name).where('version', '=', asNum).executeTakeFirst();
      if (!row) throw new NotFoundError(`model "${name}" has no version ${asNum} (versions 1..${model.latest_version})`);
      return asNum;
    }
    const alias = checkAlias(String(ref));
    const row = await db.selectFrom('model_aliases').select('version').where('model_name', '=', name).where('alias', '=', alias).executeTakeFirst();
    if (!row) throw new NotFoundError(`model "${name}" has no ${alias} yet`);
    return row.version;
  }

  async listModels(): Promise<ModelSummary[]> {
    const { db } = this.store;
    const models = await db.selectFrom('registered_models').selectAll().orderBy('name').execute();
    const aliases = await db.selectFrom('model_aliases').select(['model_name', 'alias', 'version']).execute();
    const of = (n: string, a: Alias) => aliases.find((x) => x.model_name === n && x.alias === a)?.version ?? null;
    return models.map((m) => ({
      name: m.name, description: m.description, latestVersion: m.latest_version,
      champion: of(m.name, 'champion'), challenger: of(m.name, 'challenger'), createdAt: m.created_at, updatedAt: m.updated_at,
    }));
  }

  /** Versions newest first, a page at a time (before: only versions below this number). */
  async listVersions(name: string, opts: { limit?: number; before?: number } = {}): Promise<ModelVersionInfo[]> {
    checkModelName(name);
    const limit = opts.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RegistryError(`listVersions: limit must be an integer in 1..1000, got ${limit}`);
    const { db } = this.store;
    const exists = await db.selectFrom('registered_models').select('name').where('name', '=', name).executeTakeFirst();
    if (!exists) throw new NotFoundError(`no model named "${name}" in the registry`);
    let q = db.selectFrom('model_versions').selectAll().where('model_name', '=', name);
    if (opts.before !== undefined) q = q.where('version', '<', opts.before);
    const rows = await q.orderBy('version', 'desc').limit(limit).execute();
    const aliases = await db.selectFrom('model_aliases').select(['alias', 'version']).where('model_name', '=', name).execute();
    return rows.map((r) => toInfo(r, aliases.filter((a) => a.version === r.version).map((a) => a.alias as Alias)));
  }

  /** The versions trained on a given lake table (and snapshot): lineage read backwards. */
  async versionsTrainedOn(table: string, snapshot?: number): Promise<{ name: string; version: number; snapshot: number }[]> {
    let q = this.store.db.selectFrom('model_version_inputs').select(['model_name', 'version', 'snapshot']).where('table_name', '=', table);
    if (snapshot !== undefined) q = q.where('snapshot', '=', snapshot);
    const rows = await q.orderBy('model_name').orderBy('version').execute();
    return rows.map((r) => ({ name: r.model_name, version: r.version, snapshot: r.snapshot }));
  }

  /** Points an alias (champion by default) at a version, recording who and why. */
  async promote(name: string, version: number | string, opts: { alias?: string; by?: string; reason?: string } = {}): Promise<AliasMove> {
    checkModelName(name);
    const alias = checkAlias(opts.alias ?? 'champion');
    const v = typeof version === 'string' && /^v?\d+$/.test(version.trim()) ? Number(version.trim().replace(/^v/, '')) : version;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new RegistryError(`promote: version must be a positive integer, got ${JSON.stringify(version)}`);
    }
    const by = opts.by ?? defaultActor();
    return writeTransaction(this.store, async (trx) => {
      const model = await this.lockModel(trx, name);
      const exists = await trx.selectFrom('model_versions').select('version').where('model_name', '=', name).where('version', '=', v).executeTakeFirst();
      if (!exists) {
        throw new NotFoundError(`cannot promote model "${name}" version ${v} to ${alias}: no such version (versions 1..${model.latest_version})`);
      }
      const current = await trx.selectFrom('model_aliases').select('version').where('model_name', '=', name).where('alias', '=', alias).executeTakeFirst();
      if (current?.version === v) return { name, alias, fromVersion: v, toVersion: v, changed: false };
      await this.moveAlias(trx, name, alias, current?.version ?? null, v, 'promote', by, opts.reason ?? null);
      return { name, alias, fromVersion: current?.version ?? null, toVersion: v, changed: true };
    });
  }

  /**
   * Moves an alias back to the version it pointed at before its current one. The alias's
   * history is replayed as a stack (promote pushes, rollback pops), so successive rollbacks
   * walk further back.
   */
  async rollback(name: string, opts: { alias?: string; by?: string; reason?: string } = {}): Promise<AliasMove> {
    checkModelName(name);
    const alias = checkAlias(opts.alias ?? 'champion');
    const by = opts.by ?? defaultActor();
    return writeTransaction(this.store, async (trx) => {
      await this.lockModel(trx, name);
      const history = await trx.selectFrom('model_alias_history').select(['action', 'to_version'])
        .where('model_name', '=', name).where('alias', '=', alias).orderBy('id').execute();
      const stack = aliasStack(history);
      const current = stack[stack.length - 1];
      if (current === undefined || stack.length < 2) {
        throw new RegistryError(`cannot roll back ${alias} of model "${name}": there is no previous ${alias} to return to`);
      }
      const target = stack[stack.length - 2]!;
      await this.moveAlias(trx, name, alias, current, target, 'rollback', by, opts.reason ?? null);
      return { name, alias, fromVersion: current, toVersion: target, changed: true };
    });
  }

  async aliasHistory(name: string, alias?: string): Promise<AliasChange[]> {
    checkModelName(name);
    let q = this.store.db.selectFrom('model_alias_history').selectAll().where('model_name', '=', name);
    if (alias !== undefined) q = q.where('alias', '=', checkAlias(alias));
    const rows = await q.orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id, alias: r.alias as Alias, fromVersion: r.from_version, toVersion: r.to_version,
      action: r.action as AliasChange['action'], by: r.changed_by, reason: r.reason, at: r.at,
    }));
  }

  /** One primary-key read: cheap enough for every API replica to poll. */
  async getChampionVersion(name: string, alias: string = 'champion'): Promise<ChampionState | null> {
    const row = await this.store.db.selectFrom('model_aliases').select(['version', 'updated_at'])
      .where('model_name', '=', name).where('alias', '=', checkAlias(alias)).executeTakeFirst();
    return row ? { version: row.version, updatedAt: row.updated_at } : null;
  }

  /**
   * Polls the champion every intervalMs and calls onChange when it moves (and once at start
   * with the current one). The timer does not keep the process alive.
   */
  watchChampion(
    name: string,
    onChange: (now: ChampionState | null, before: ChampionState | null) => void | Promise<void>,
    opts: { intervalMs?: number; alias?: string; onError?: (e: unknown) => void } = {},
  ): { stop(): void } {
    checkModelName(name);
    const alias = checkAlias(opts.alias ?? 'champion');
    let last: ChampionState | null | undefined;
    let stopped = false;
    let busy = false;
    const tick = async () => {
      if (busy || stopped) return;
      busy = true;
      try {
        const now = await this.getChampionVersion(name, alias);
        if (!stopped && (last === undefined || now?.version !== last?.version || now?.updatedAt !== last?.updatedAt)) {
          const before = last ?? null;
          last = now;
          await onChange(now, before);
        }
      } catch (e) {
        opts.onError?.(e);
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(tick, opts.intervalMs ?? 2000);
    timer.unref();
    void tick();
    return { stop: () => { stopped = true; clearInterval(timer); } };
  }

  private async moveAlias(
    trx: MetaDb,
    name: string,
    alias: Alias,
    from: number | null,
    to: number,
    action: 'promote' | 'rollback',
    by: string,
    reason: string | null,
  ): Promise<void> {
    const at = nowIso();
    await trx.insertInto('model_aliases').values({ model_name: name, alias, version: to, updated_at: at })
      .onConflict((oc) => oc.columns(['model_name', 'alias']).doUpdateSet({ version: to, updated_at: at })).execute();
    await trx.insertInto('model_alias_history').values({
      model_name: name, alias, from_version: from, to_version: to, action, changed_by: by, reason, at,
    }).execute();
    await trx.updateTable('registered_models').set({ updated_at: at }).where('name', '=', name).execute();
  }

  /** Locks the model's row for the rest of the transaction (SQLite: the whole database is already locked). */
  private async lockModel(trx: MetaDb, name: string): Promise<{ latest_version: number }> {
    let q = trx.selectFrom('registered_models').select(['latest_version']).where('name', '=', name);
    if (this.store.dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw new NotFoundError(`no model named "${name}" in the registry`);
    return row;
  }

  private async verifySnapshots(snapshots: SnapshotRef[]): Promise<void> {
    for (const [i, s] of snapshots.entries()) {
      const dot = s.table.indexOf('.');
      const row = await this.store.db.selectFrom('lake_tables as t')
        .leftJoin('lake_snapshots as s', (j) => j.onRef('s.table_id', '=', 't.id').on('s.snapshot_id', '=', s.snapshot))
        .select(['t.current_snapshot', 's.snapshot_id'])
        .where('t.zone', '=', s.table.slice(0, dot)).where('t.name', '=', s.table.slice(dot + 1)).executeTakeFirst();
      if (!row) throw new RegistryError(`lineage.snapshots[${i}]: lake table ${s.table} is not in the catalog`);
      if (row.snapshot_id === null) {
        throw new RegistryError(`lineage.snapshots[${i}]: lake table ${s.table} has no snapshot ${s.snapshot} (current is ${row.current_snapshot})`);
      }
    }
  }
}

/** Replays an alias's history: register/promote push the new version, rollback pops. */
export function aliasStack(history: { action: string; to_version: number | null }[]): number[] {
  const stack: number[] = [];
  for (const h of history) {
    if (h.action === 'rollback') stack.pop();
    else if (h.to_version !== null) stack.push(h.to_version);
  }
  return stack;
}

function toInfo(r: ModelVersionRow, aliases: Alias[]): ModelVersionInfo {
  const lineage = JSON.parse(r.lineage) as Lineage;
  return {
    name: r.model_name, version: r.version, createdAt: r.created_at, createdBy: r.created_by, runId: r.run_id, kind: r.kind,
    artifactPath: r.artifact_path, sha256: r.artifact_sha256, size: Number(r.artifact_size),
    metrics: JSON.parse(r.metrics), params: JSON.parse(r.params), lineage, card: r.card, aliases: aliases.sort(),
  };
}
