// The run search language, a small subset of MLflow's:
//   metrics.rmse < 0.5 and params.max_depth = 6 and tags.team = 'ads' and status = 'finished'
// Clauses are joined by AND; values are numbers or quoted strings.
import { TrackingError } from './errors.ts';

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type FilterSubject = 'metric' | 'param' | 'tag' | 'attribute';

export interface FilterClause {
  subject: FilterSubject;
  key: string;
  op: FilterOp;
  value: number | string;
}

/** Run columns a filter may name directly (or as attributes.NAME). */
export const RUN_ATTRIBUTES = ['status', 'pipeline', 'step', 'started_at', 'ended_at', 'duration_ms', 'parent_run_id'] as const;
export type RunAttribute = (typeof RUN_ATTRIBUTES)[number];

const SUBJECTS: Record<string, FilterSubject> = {
  metric: 'metric', metrics: 'metric', param: 'param', params: 'param', tag: 'tag', tags: 'tag',
  attribute: 'attribute', attributes: 'attribute',
};

const TOKEN = /\s*(?:(and)\b|([A-Za-z_][\w.-]*|`[^`]+`)|(<=|>=|!=|=|<|>)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))/iy;

export function parseFilter(text: string): FilterClause[] {
  const tokens: { kind: 'and' | 'ident' | 'op' | 'string' | 'number'; text: string }[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) throw new TrackingError(`filter: cannot read ${JSON.stringify(text.slice(pos).trim())} (at character ${pos})`);
    pos = TOKEN.lastIndex;
    if (m[1]) tokens.push({ kind: 'and', text: m[1] });
    else if (m[2]) tokens.push({ kind: 'ident', text: m[2] });
    else if (m[3]) tokens.push({ kind: 'op', text: m[3] });
    else if (m[4]) tokens.push({ kind: 'string', text: m[4].slice(1, -1).replace(/\\(.)/g, '$1') });
    else tokens.push({ kind: 'number', text: m[5]! });
  }
  const clauses: FilterClause[] = [];
  for (let i = 0; i < tokens.length; ) {
    const [name, op, val] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (!name || name.kind !== 'ident' || !op || op.kind !== 'op' || !val || (val.kind !== 'string' && val.kind !== 'number')) {
      throw new TrackingError(`filter: expected "metrics.NAME < 1", "params.NAME = 'x'", "tags.NAME = 'x'" or "status = ` +
        `'finished'" clauses joined by "and", got ${JSON.stringify(text)}`);
    }
    clauses.push(clause(name.text, op.text as FilterOp, val.kind === 'number' ? Number(val.text) : val.text));
    i += 3;
    if (i < tokens.length) {
      if (tokens[i]!.kind !== 'and') throw new TrackingError(`filter: expected "and" before ${JSON.stringify(tokens[i]!.text)}`);
      i++;
      if (i >= tokens.length) throw new TrackingError('filter: ends with "and"');
    }
  }
  return clauses;
}

function clause(name: string, op: FilterOp, value: number | string): FilterClause {
  const dot = name.indexOf('.');
  let subject: FilterSubject = 'attribute';
  let key = name;
  if (dot > 0 && SUBJECTS[name.slice(0, dot).toLowerCase()]) {
    subject = SUBJECTS[name.slice(0, dot).toLowerCase()]!;
    key = name.slice(dot + 1);
  }
  key = key.replace(/^`|`$/g, '');
  if (subject === 'attribute' && !(RUN_ATTRIBUTES as readonly string[]).includes(key)) {
    throw new TrackingError(`filter: unknown run attribute "${key}" (known: ${RUN_ATTRIBUTES.join(', ')}; or use metrics./params./tags.)`);
  }
  if (subject === 'metric' && typeof value !== 'number') {
    throw new TrackingError(`filter: metrics.${key} must be compared with a number, got ${JSON.stringify(value)}`);
  }
  if (subject === 'tag' && typeof value !== 'string') value = String(value);
  return { subject, key, op, value };
}
