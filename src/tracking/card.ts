// The model card of a version: generated markdown a reviewer reads before promoting it (what
// the model is for, what data and features it saw, how well it did, where it came from).
import type { SnapshotRef } from './lineage.ts';

export interface ModelCardFields {
  /** one paragraph: what the model predicts */
  description?: string;
  /** who should use it for what, and what not */
  intendedUse?: string;
  /** the training data in words (period, filters, size) */
  data?: string;
  features?: string[];
  target?: string;
  limitations?: string;
  /** a retraining's gate: champion and challenger on the same holdout, and the decision */
  retraining?: string;
}

export interface CardInput {
  name: string;
  version: number;
  kind: string | null;
  createdAt: string;
  createdBy: string;
  runId: string | null;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  snapshots: SnapshotRef[];
  codeVersion: string;
  configHash: string | null;
  seed: number | null;
  sha256: string;
  fields: ModelCardFields;
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : typeof v === 'string' ? v : JSON.stringify(v));

export function renderModelCard(c: CardInput): string {
  const f = c.fields;
  const out: string[] = [];
  out.push(`# Model card: ${c.name} v${c.version}`, '');
  out.push(f.description?.trim() || `A model of kind ${c.kind ?? 'unknown'} registered by ${c.createdBy} on ${c.createdAt}.`, '');
  out.push('## Intended use', '', f.intendedUse?.trim() || '_Not stated by the registering pipeline._', '');
  out.push('## Data', '');
  if (f.data?.trim()) out.push(f.data.trim(), '');
  if (c.snapshots.length) {
    out.push('Trained on these lake table snapshots:', '');
    for (const s of c.snapshots) out.push(`- \`${s.table}\` snapshot ${s.snapshot}`);
    out.push('');
  } else if (!f.data?.trim()) {
    out.push('_No lake snapshots recorded: this version cannot be traced back to its data._', '');
  }
  out.push('## Features', '');
  if (f.features?.length) out.push(...f.features.map((x) => `- \`${x}\``), '');
  else out.push('_Not listed._', '');
  if (f.target) out.push(`Target: \`${f.target}\``, '');
  out.push('## Metrics', '');
  const m = Object.keys(c.metrics).sort();
  if (m.length) out.push('| metric | value |', '|---|---|', ...m.map((k) => `| ${esc(k)} | ${fmt(c.metrics[k])} |`), '');
  else out.push('_None recorded._', '');
  const p = Object.keys(c.params).sort();
  if (p.length) out.push('## Parameters', '', '| parameter | value |', '|---|---|', ...p.map((k) => `| ${esc(k)} | ${esc(fmt(c.params[k]))} |`), '');
  if (f.limitations?.trim()) out.push('## Limitations', '', f.limitations.trim(), '');
  if (f.retraining?.trim()) out.push('## Retraining decision', '', f.retraining.trim(), '');
  out.push('## Lineage', '');
  out.push(`- estimator: ${c.kind ?? 'unknown'}`);
  out.push(`- training run: ${c.runId ?? 'not recorded'}`);
  out.push(`- code version: ${c.codeVersion}`);
  out.push(`- config hash: ${c.configHash ?? 'not recorded'}`);
  out.push(`- seed: ${c.seed ?? 'not recorded'}`);
  out.push(`- artifact sha256: ${c.sha256}`);
  out.push(`- registered: ${c.createdAt} by ${c.createdBy}`, '');
  return out.join('\n');
}
