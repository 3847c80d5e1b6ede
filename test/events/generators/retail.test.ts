// The retail world: deterministic, valid, ordered, seasonal, heterogeneous, churning, and dirty
// in the ways Online Retail is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnyEvent, type OrderLineEvent } from '../../../src/events/schemas.ts';
import { retailWorld, retailTruth } from '../../../src/events/generators/retail.ts';

const opts = { seed: 3, customers: 800, products: 400, start: '2025-01-01', months: 12 };
const world = retailWorld(opts);
const lines: OrderLineEvent[] = [...world.events()];
const truth = retailTruth(world);
const NON_PRODUCT = new Set(['POST', 'DOT', 'M', 'BANK CHARGES']);
const isSale = (l: OrderLineEvent) => !l.invoice_no.startsWith('C') && !NON_PRODUCT.has(l.stock_code);

function first(w: ReturnType<typeof retailWorld>, n: number): string[] {
  const out: string[] = [];
  for (const e of w.events()) { out.push(JSON.stringify(e)); if (out.length === n) break; }
  return out;
}

test('same seed, byte-identical; another seed, another world', () => {
  const again = retailWorld(opts);
  assert.deepEqual(again.customers, world.customers);
  assert.deepEqual(again.products, world.products);
  const a = first(world, 1000);
  assert.deepEqual(first(again, 1000), a);
  assert.notDeepEqual(first(retailWorld({ ...opts, seed: 4 }), 1000), a);
});

test('every line passes the wire schema, inside the window and in time order', () => {
  assert.ok(lines.length > 20_000, `${lines.length} lines`);
  let prev = -Infinity;
  const ids = new Set<string>();
  for (const l of lines) {
    const r = AnyEvent.safeParse(l);
    assert.ok(r.success, `${JSON.stringify(l)}: ${r.success ? '' : r.error.message}`);
    const t = Date.parse(l.ts);
    assert.ok(t >= world.start && t < world.end && t >= prev, l.ts);
    prev = t;
    ids.add(l.event_id);
  }
  assert.equal(ids.size, lines.length);
  assert.equal(new Date(world.end).toISOString(), '2026-01-01T00:00:00.000Z');
});

test('invoices: contiguous, one time and customer each, numbers rising with time', () => {
  const seen = new Set<string>();
  let prevNo = 0, prev: OrderLineEvent | undefined;
  for (const l of lines) {
    if (!prev || prev.invoice_no !== l.invoice_no) {
      assert.ok(!seen.has(l.invoice_no), `invoice ${l.invoice_no} is contiguous`);
      seen.add(l.invoice_no);
      const no = Number(l.invoice_no.replace(/^C/, ''));
      assert.ok(no > prevNo);
      prevNo = no;
    } else {
      assert.equal(l.ts, prev.ts);
      assert.equal(l.customer_id, prev.customer_id);
    }
    prev = l;
  }
});

test('seasonality: Q4 revenue beats Q2, Thursday beats Saturday, Christmas sells in autumn', () => {
  const month = new Float64Array(12), weekday = new Float64Array(7), xmas = new Float64Array(12);
  const invoices: Set<string>[] = Array.from({ length: 12 }, () => new Set());
  for (const l of lines) {
    if (!isSale(l)) continue;
    invoices[new Date(l.ts).getUTCMonth()]!.add(l.invoice_no);
    const d = new Date(l.ts), rev = l.quantity * l.unit_price;
    month[d.getUTCMonth()] += rev; weekday[d.getUTCDay()] += rev;
    if (l.category === 'christmas') xmas[d.getUTCMonth()] += rev;
  }
  const q2 = month[3]! + month[4]! + month[5]!, q4 = month[9]! + month[10]! + month[11]!;
  // revenue is heavy-tailed (a big spender or two moves a quarter); invoice counts are steadier
  assert.ok(q4 > 1.2 * q2, `Q4 ${q4.toFixed(0)} vs Q2 ${q2.toFixed(0)}`);
  const n = (ms: number[]) => ms.reduce((s, m) => s + invoices[m]!.size, 0);
  assert.ok(n([9, 10, 11]) > 1.3 * n([3, 4, 5]), `invoices Q4 ${n([9, 10, 11])} vs Q2 ${n([3, 4, 5])}`);
  assert.ok(weekday[6]! < 0.1 * weekday[4]!, `Saturday ${weekday[6]!.toFixed(0)} vs Thursday ${weekday[4]!.toFixed(0)}`);
  assert.ok(xmas[10]! > 5 * xmas[4]!, 'Christmas goods peak in November');
});

test('a few big spenders hold a large share of revenue', () => {
  const byCustomer = new Map<string, number>();
  for (const l of lines) if (isSale(l) && l.customer_id) byCustomer.set(l.customer_id, (byCustomer.get(l.customer_id) ?? 0) + l.quantity * l.unit_price);
  const revenues = [...byCustomer.values()].sort((a, b) => b - a);
  const total = revenues.reduce((s, v) => s + v, 0);
  const top = revenues.slice(0, Math.ceil(revenues.length * 0.05)).reduce((s, v) => s + v, 0);
  assert.ok(top / total > 0.25, `top 5% of customers: ${(100 * top / total).toFixed(1)}% of revenue`);
  const big = new Set(truth.filter((t) => t.big_spender).map((t) => t.customer_id));
  assert.ok(big.size > 5);
  const mean = (ids: string[]) => ids.reduce((s, id) => s + (byCustomer.get(id) ?? 0), 0) / ids.length;
  const bigIds = [...big].filter((id) => byCustomer.has(id)), rest = [...byCustomer.keys()].filter((id) => !big.has(id));
  assert.ok(mean(bigIds) > 5 * mean(rest), 'big spenders spend several times more');
});

test('customers buy only between signup and churn, and many churn inside the year', () => {
  const byId = new Map(truth.map((t) => [t.customer_id, t]));
  const signup = new Map(world.customers.map((c) => [c.customer_id, c.signup_date]));
  const lastBuy = new Map<string, string>();
  for (const l of lines) {
    if (!l.customer_id || l.invoice_no.startsWith('C')) continue;
    assert.ok(l.ts < byId.get(l.customer_id)!.churn_at, `${l.customer_id} buys on ${l.ts} before churning`);
    assert.ok(l.ts.slice(0, 10) >= signup.get(l.customer_id)!, 'after signing up');
    lastBuy.set(l.customer_id, l.ts);
  }
  const endIso = new Date(world.end).toISOString();
  const churned = truth.filter((t) => t.churn_at < endIso && lastBuy.has(t.customer_id));
  assert.ok(churned.length > 0.2 * lastBuy.size, `${churned.length} of ${lastBuy.size} buyers churn within the year`);
  // churners go quiet: their last purchase is on average well before the end of the world
  const gapDays = (t: { customer_id: string }) => (world.end - Date.parse(lastBuy.get(t.customer_id)!)) / 86_400_000;
  const stayers = truth.filter((t) => t.churn_at >= endIso && lastBuy.has(t.customer_id) && t.orders_per_month > 1);
  const avg = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  assert.ok(avg(churned.map(gapDays)) > 3 * avg(stayers.map(gapDays)), 'churned customers stop long before the end');
});

test('the dirt is there in small proportions: cancellations, missing customers, non-product codes', () => {
  const n = lines.length;
  const cancels = lines.filter((l) => l.invoice_no.startsWith('C'));
  const missing = lines.filter((l) => l.customer_id == null);
  const special = lines.filter((l) => NON_PRODUCT.has(l.stock_code));
  for (const [name, xs] of [['cancellations', cancels], ['missing customer', missing], ['non-product codes', special]] as const) {
    assert.ok(xs.length / n > 0.002 && xs.length / n < 0.06, `${name}: ${(100 * xs.length / n).toFixed(2)}% of lines`);
  }
  for (const l of lines) assert.equal(l.quantity < 0, l.invoice_no.startsWith('C'), 'negative quantity exactly on cancellations');
  for (const l of special) assert.equal(l.category, null);
  assert.ok(new Set(special.map((l) => l.stock_code)).has('POST'));
  // a cancellation undoes an earlier purchase of the same product by the same customer
  const bought = new Map<string, string>();
  for (const l of lines) {
    const key = `${l.customer_id}|${l.stock_code}`;
    if (!l.invoice_no.startsWith('C')) { if (!bought.has(key)) bought.set(key, l.ts); continue; }
    assert.ok(bought.has(key) && bought.get(key)! < l.ts, `cancellation ${l.invoice_no} follows a purchase`);
  }
});

test('dimension tables and bad options', () => {
  const dims = world.dimensions();
  assert.deepEqual(Object.keys(dims), ['customers', 'products']);
  assert.equal(new Set(world.products.map((p) => p.stock_code)).size, world.products.length);
  assert.equal(new Set(world.products.map((p) => p.category)).size, 8);
  for (const p of world.products) assert.ok(p.unit_price > 0 && p.description.length > 3);
  assert.throws(() => retailWorld({ months: 0 }), /months/);
  assert.throws(() => retailWorld({ customers: -1 }), /customers/);
  assert.throws(() => retailWorld({ seed: 1.5 }), /seed/);
});
