// A table of named columns, the raw input of a model before encoding: numeric columns are
// Float64Array (NaN = missing), categorical columns are string arrays (null = missing).
// A ColumnTransformer / Pipeline turns a Frame into a Matrix; ONNX export maps each Frame column
// to one graph input (float [N,1] or string [N,1]).

export type Column = Float64Array | (string | null)[];

export interface Frame {
  readonly length: number;
  readonly columns: ReadonlyMap<string, Column>;
}

export function isNumeric(c: Column): c is Float64Array {
  return c instanceof Float64Array;
}

export function frameFromRecords(records: Record<string, unknown>[], categorical: Iterable<string> = []): Frame {
  const cats = new Set(categorical);
  const names = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) names.add(k);
  const columns = new Map<string, Column>();
  for (const name of names) {
    const isCat = cats.has(name) || records.some((r) => typeof r[name] === 'string');
    if (isCat) columns.set(name, records.map((r) => (r[name] == null ? null : String(r[name]))));
    else columns.set(name, Float64Array.from(records, (r) => (r[name] == null ? NaN : Number(r[name]))));
  }
  return { length: records.length, columns };
}
