// The kernels as text: each kernel's WebAssembly text (from the builder) is checked in under
// test/fixtures/wat/ and compared here, so a change to a kernel shows up in review as text
// (UPDATE_WAT=1 rewrites the dumps). Each dump is also assembled by wabt, which must give the
// builder's very bytes: the text is the module, not a description of it. And the builder's
// validator names the kernel, the function and the instruction of a mistake.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { KernelCache, ModuleBuilder, WasmBuildError, toWat } from '../../src/util/wasm.ts';
import { histKernels, partitionKernels, shardKernelCache, vectorKernels, type HistLayout } from '../../src/ml/tree/shard-wasm.ts';
import { KERNELS } from './kernel-catalog.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'wat');
const update = process.env.UPDATE_WAT === '1';

test('every kernel matches its golden WebAssembly text dump', () => {
  for (const [file, build] of KERNELS) {
    const text = toWat(build());
    const path = join(dir, `${file}.wat`);
    if (update) { writeFileSync(path, text); continue; }
    let golden: string;
    try { golden = readFileSync(path, 'utf8'); } catch { assert.fail(`${path} is missing: run UPDATE_WAT=1 npm run test:only -- wasm-kernels`); }
    assert.equal(text, golden, `${file}: the kernel's text changed; review the diff and run UPDATE_WAT=1 npm run test:only -- wasm-kernels`);
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.wat')).map((f) => f.slice(0, -4)).sort();
  assert.deepEqual(files, KERNELS.map(([f]) => f).sort(), 'one dump per kernel, none left over');
});

test('wabt assembles every golden dump into the builder\'s exact bytes, and the runtime compiles them', async () => {
  const wabt = await wabtInit();
  for (const [file, build] of KERNELS) {
    const m = build();
    const text = readFileSync(join(dir, `${file}.wat`), 'utf8');
    const parsed = wabt.parseWat(`${file}.wat`, text, { simd: true, threads: true });
    try {
      const theirs = Buffer.from(parsed.toBinary({ canonicalize_lebs: true, write_debug_names: false }).buffer);
      assert.ok(theirs.equals(Buffer.from(m.bytes())), `${file}: wabt's bytes differ from the builder's`);
    } finally { parsed.destroy(); }
    assert.ok(WebAssembly.validate(m.bytes()), `${file}: the runtime rejects the module`);
  }
});

test('the validator names the kernel, the function and the instruction of a type error', () => {
  const m = new ModuleBuilder('demo', { min: 1 });
  assert.throws(() => m.func('f', { a: 'i32' }, (f, p) => { f.get(p.a).f64(1).op('f64.add'); }),
    (e: Error) => e instanceof WasmBuildError && /kernel demo, function f, instruction 2 \(f64\.add\): expects f64, found i32/.test(e.message));
  assert.throws(() => m.func('g', {}, (f) => { f.op('i32.add'); }), /expects i32 on the stack, which is empty/);
  assert.throws(() => m.func('h', {}, (f) => { f.block(() => { f.i32(1); }); }), /leaves 1 value\(s\) more than its result/);
  assert.throws(() => m.func('r', {}, (f) => { f.i32(1); }, []), /returns \[\] but leaves \[i32\]/);
  assert.throws(() => m.func('l', {}, (f) => { f.i32(0).lane('f64x2.extract_lane', 2); }), /lane 2 is not in \[0, 2\)/);
  assert.throws(() => m.func('a', {}, (f) => { f.i32(0).mem('f64.load', 0, 16); }), /alignment 16 must be a power of two at most 8/);
  let outer: unknown;
  m.func('ok', {}, (f) => f.block((b) => { outer = b; }));
  assert.throws(() => m.func('b', {}, (f) => f.block(() => f.br(outer as never))), /is not an enclosing block/);
  const other = new ModuleBuilder('other', { min: 1 });
  let foreign: unknown;
  other.func('x', { v: 'i32' }, (f, p) => { foreign = p.v; });
  assert.throws(() => m.func('c', {}, (f) => { f.get(foreign as never); }), /belongs to another function/);
});

test('no raw opcode numbers outside the opcode table: kernels name instructions, and only the builder makes modules', () => {
  const root = join(import.meta.dirname, '..', '..', 'src');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(root);
  const kernelFiles = files.filter((f) => /from '[./]*(util\/)?wasm\.ts'/.test(readFileSync(f, 'utf8')) || f.includes('/util/wasm'));
  assert.ok(kernelFiles.length >= 12, `found only ${kernelFiles.length} kernel files`);
  for (const f of kernelFiles) {
    if (f.endsWith('opcodes.ts') || f.endsWith('leb128.ts')) continue;
    const src = readFileSync(f, 'utf8');
    assert.doesNotMatch(src, /\b0x[0-9a-fA-F]+/, `${f} holds a hex literal: opcodes belong in src/util/wasm/opcodes.ts`);
  }
  for (const f of files) {
    if (f.includes('/util/wasm')) continue;
    assert.doesNotMatch(readFileSync(f, 'utf8'), /new WebAssembly\.Module\(|WebAssembly\.(compile|validate)\(/, `${f} makes a module from raw bytes`);
  }
});

test('the kernel cache compiles a shape once and keeps the most recently used within its limit', () => {
  let builds = 0;
  const kernel = (name: string) => { builds++; const m = new ModuleBuilder(name, { min: 1 }); m.func('f', {}, () => {}); return m; };
  const cache = new KernelCache(2);
  const a = cache.compiled('a', () => kernel('a'));
  assert.equal(cache.compiled('a', () => kernel('a')), a, 'the same shape gives the same module');
  assert.equal(builds, 1);
  cache.compiled('b', () => kernel('b'));
  cache.compiled('a', () => kernel('a')); // a is now the most recent
  cache.compiled('c', () => kernel('c')); // evicts b
  assert.equal(cache.size, 2);
  assert.equal(cache.compiled('a', () => kernel('a')), a);
  assert.equal(builds, 3);
  cache.compiled('b', () => kernel('b'));
  assert.equal(builds, 4, 'b was evicted and is built again');
});

test('boosting shard kernels compile once per shape: a second fit of that shape builds nothing, another layout does', () => {
  const mem = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
  const L = { rowsAt: 64, binsAt: 1024, gAt: 2048, hAt: 4096, nCols: 3 }, off = Int32Array.from([0, 4, 9, 12]);
  const fit = (layout: HistLayout, offsets: Int32Array) => {
    partitionKernels(mem); vectorKernels(mem);
    histKernels(mem, layout, offsets, 0, 3, 3, true); histKernels(mem, layout, offsets, 0, 3, 3, false);
  };
  fit(L, off);
  const n = shardKernelCache.size;
  fit(L, off);
  assert.equal(shardKernelCache.size, n, 'the same shape again');
  fit({ ...L, gAt: 2056 }, off);
  assert.equal(shardKernelCache.size, n + 2, 'an address baked into the histogram kernels differs');
  fit(L, Int32Array.from([0, 4, 10, 12]));
  assert.equal(shardKernelCache.size, n + 4, 'a column offset differs');
});
