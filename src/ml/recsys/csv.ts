// Reads user,item,weight CSV files (header required; weight optional, default 1).
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../core/errors.ts';
import type { Triples } from './interactions.ts';

export function parseInteractionsCsv(text: string, source = 'input'): Triples & { weights: Float64Array } {
  const lines = text.split(/\r?\n/);
  const header = splitLine(lines[0] ?? '').map((h) => h.trim().toLowerCase());
  const ui = header.indexOf('user'), ii = header.indexOf('item'), wi = header.indexOf('weight');
  if (ui < 0) throw new InvalidInputError(`${source}: header has no "user" column (found: ${header.join(', ')})`);
  if (ii < 0) throw new InvalidInputError(`${source}: header has no "item" column (found: ${header.join(', ')})`);
  const users: string[] = [], items: string[] = [], weights: number[] = [];
  for (let l = 1; l < lines.length; l++) {
    const line = lines[l]!;
    if (line.trim() === '') continue;
    const f = splitLine(line);
    const u = f[ui]?.trim(), it = f[ii]?.trim();
    if (!u) throw new InvalidInputError(`${source}: line ${l + 1}: field "user" is empty`);
    if (!it) throw new InvalidInputError(`${source}: line ${l + 1}: field "item" is empty`);
    let w = 1;
    if (wi >= 0) {
      const raw = f[wi]?.trim() ?? '';
      w = Number(raw);
      if (raw === '' || !Number.isFinite(w)) throw new InvalidInputError(`${source}: line ${l + 1}: field "weight" is ${JSON.stringify(raw)}, not a number`);
    }
    users.push(u); items.push(it); weights.push(w);
  }
  return { users, items, weights: Float64Array.from(weights) };
}

export function readInteractionsCsv(path: string): Triples & { weights: Float64Array } {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) { throw new InvalidInputError(`cannot read ${path}: ${(e as Error).message}`); }
  return parseInteractionsCsv(text, path);
}

/** Splits one CSV line, honouring double quotes (ids may contain commas). */
function splitLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '', q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}
