// Prints a built module as WebAssembly text (the .wat format): named parameters, locals and
// labels, one instruction a line, indented by block. The golden dumps under
// test/fixtures/wat/ are this text, so a change to a kernel shows up in review as text; the
// kernel test also assembles each dump with wabt and checks it gives the builder's very bytes.
import { OPS, type OpInfo } from './opcodes.ts';
import type { FunctionBuilder, Instr, ModuleBuilder } from './builder.ts';

function num(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

function hex32(bytes: readonly number[], at: number): string {
  const v = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  return `0x${v.toString(16).padStart(8, '0')}`;
}

function instrText(ins: Exclude<Instr, { op: 'comment' }>): string {
  const info: OpInfo = OPS[ins.op];
  switch (info.imm) {
    case 'none': case 'memidx': return ins.op;
    case 'local': return `${ins.op} $${ins.local!.name}`;
    case 'label': return `${ins.op} $${ins.label!.name}`;
    case 'block': return `${ins.op} $${ins.label!.name}${ins.label!.result ? ` (result ${ins.label!.result})` : ''}`;
    case 'func': return `call $${ins.func!.name}`;
    case 'i32': return `i32.const ${ins.n}`;
    case 'f32': case 'f64': return `${ins.op} ${num(ins.n!)}`;
    case 'lane': return `${ins.op} ${ins.lane}`;
    case 'shuffle': return `i8x16.shuffle ${ins.bytes!.join(' ')}`;
    case 'v128': {
      const b = ins.bytes!;
      if (ins.shape === 'i64x2') {
        const v = new BigInt64Array(Uint8Array.from(b).buffer);
        return `v128.const i64x2 ${v[0]} ${v[1]}`;
      }
      return `v128.const i32x4 ${hex32(b, 0)} ${hex32(b, 4)} ${hex32(b, 8)} ${hex32(b, 12)}`;
    }
    case 'memarg': case 'memarg-lane': {
      const parts: string[] = [ins.op];
      if (ins.offset) parts.push(`offset=${ins.offset}`);
      if (ins.align !== info.width) parts.push(`align=${ins.align}`);
      if (info.imm === 'memarg-lane') parts.push(String(ins.lane));
      return parts.join(' ');
    }
    default: return ins.op;
  }
}

function functionText(f: FunctionBuilder<any>): string[] {
  const nParams = Object.keys(f.params).length;
  const head = [`(func $${f.name} (export "${f.name}")`];
  for (const l of f.vars.slice(0, nParams)) head.push(`(param $${l.name} ${l.type})`);
  if (f.results.length) head.push(`(result ${f.results.join(' ')})`);
  const lines = [`  ${head.join(' ')}`];
  for (const l of f.vars.slice(nParams)) lines.push(`    (local $${l.name} ${l.type})`);
  let depth = 2;
  for (const ins of f.code) {
    if (ins.op === 'comment') { lines.push(`${'  '.repeat(depth)};; ${ins.text}`); continue; }
    if (ins.op === 'end' || ins.op === 'else') depth--;
    lines.push(`${'  '.repeat(depth)}${instrText(ins)}`);
    if (ins.op === 'block' || ins.op === 'loop' || ins.op === 'if' || ins.op === 'else') depth++;
  }
  lines.push('  )');
  return lines;
}

/** The module as WebAssembly text. */
export function toWat(m: ModuleBuilder): string {
  const { min, max, shared } = m.memory;
  const mem = `(memory ${min}${max !== undefined ? ` ${max}` : ''}${shared ? ' shared' : ''})`;
  const lines = [`;; kernel ${m.name}`, '(module', `  (import "env" "mem" ${mem})`];
  for (const f of m.funcs) lines.push(...functionText(f));
  lines.push(')');
  return lines.join('\n') + '\n';
}
