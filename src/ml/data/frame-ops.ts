// Row and column operations on Frames (the raw, named-column tables models are trained from).
import { InvalidInputError } from '../core/errors.ts';
import { isNumeric, type Column, type Frame } from '../core/frame.ts';

export function makeFrame(columns: Map<string, Column> | Record<string, Column>): Frame {
  const map = columns instanceof Map ? columns : new Map(Object.entries(columns));
  let length = -1;
  for (const [name, c] of map) {
    if (length === -1) length = c.length;
    else if (c.length !== length) throw new InvalidInputError(`frame: column "${name}" has ${c.length} rows, expected ${length}`);
  }
  return { length: Math.max(length, 0), columns: map };
}

export function getColumn(frame: Frame, name: string): Column {
  const c = frame.columns.get(name);
  if (!c) throw new InvalidInputError(`column "${name}" not found (columns: ${[...frame.columns.keys()].join(', ')})`);
  return c;
}

export function takeFrameRows(frame: Frame, idx: ArrayLike<number>): Frame {
  const cols = new Map<string, Column>();
  for (const [name, c] of frame.columns) {
    if (isNumeric(c)) {
      const out = new Float64Array(idx.length);
      for (let k = 0; k < idx.length; k++) out[k] = c[idx[k]!]!;
      cols.set(name, out);
    } else {
      cols.set(name, Array.from({ length: idx.length }, (_, k) => c[idx[k]!]!));
    }
  }
  return { length: idx.length, columns: cols };
}

export function dropColumns(frame: Frame, names: string[]): Frame {
  const drop = new Set(names);
  return { length: frame.length, columns: new Map([...frame.columns].filter(([n]) => !drop.has(n))) };
}

/** Splits off the target column as a numeric vector (regression); rejects missing targets. */
export function numericTarget(frame: Frame, target: string): Float64Array {
  const c = getColumn(frame, target);
  const y = isNumeric(c) ? c : Float64Array.from(c, (v) => (v === null || v.trim() === '' ? NaN : Number(v)));
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i]!)) {
      throw new InvalidInputError(`target "${target}": row ${i} is ${isNumeric(c) ? y[i] : JSON.stringify(c[i])}, not a finite number`);
    }
  }
  return y;
}

/** Target values as strings (classification labels), rejecting missing ones. */
export function labelTarget(frame: Frame, target: string): string[] {
  const c = getColumn(frame, target);
  const out: string[] = new Array(c.length);
  for (let i = 0; i < c.length; i++) {
    const v = c[i];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) throw new InvalidInputError(`target "${target}": row ${i} is missing`);
    out[i] = String(v);
  }
  return out;
}
