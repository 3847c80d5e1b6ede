// The synthetic retail world, shaped like the UCI Online Retail file: customers buy products in
// invoices of several lines, with a weekday pattern (almost nothing on Saturdays), a yearly one
// (the autumn run-up to Christmas), a few big wholesale spenders, churn, and the dirt the
// cleaning rules downstream must remove: cancellations ('C' invoices, negative quantities),
// lines without a customer, and non-product codes (POST, DOT, M, BANK CHARGES).
import { Faker, en } from '@faker-js/faker';
import { Rng } from '../../ml/core/rng.ts';
import type { OrderLineEvent } from '../schemas.ts';
import {
  DAY_MS, HOUR_MS, DayMerger, IdStream, checkSeed, cumulative, exponential, intOption, isoDate,
  isoTs, numberOption, parseStart, pick, poisson, subSeed,
} from './common.ts';

export interface RetailWorldOptions {
  seed?: number;
  customers?: number;
  products?: number;
  /** first day (UTC midnight); default 2025-01-01 */
  start?: Date | string | number;
  months?: number;
  /**
   * customers' spending changes: from this time on, a share of the customers (default all) buy
   * `factor` times the quantities (the monitoring drift scenario; default factor 3)
   */
  spendShift?: { from: Date | string | number; factor?: number; fraction?: number };
}

export interface Customer {
  customer_id: string;
  country: string;
  /** YYYY-MM-DD; customers acquired inside the world buy from that day on */
  signup_date: string;
}

export interface Product {
  stock_code: string;
  description: string;
  category: string;
  unit_price: number;
}

/** The hidden behaviour of a customer: for tests and evaluation only. */
export interface CustomerTruth {
  customer_id: string;
  /** expected orders per month before seasonality */
  orders_per_month: number;
  big_spender: boolean;
  /** when the customer stops buying (ISO ts); may be after the end of the world */
  churn_at: string;
  favourite_categories: string[];
}

export interface RetailWorld {
  readonly kind: 'retail';
  readonly seed: number;
  readonly start: number;
  readonly end: number;
  readonly customers: Customer[];
  readonly products: Product[];
  events(): Generator<OrderLineEvent>;
  dimensions(): Record<string, object[]>;
}

interface CategorySpec {
  name: string;
  nouns: string[];
  price: [number, number];
  /** demand multiplier per calendar month (Jan..Dec) on top of the overall season */
  monthly?: number[];
}

export const CATEGORIES: readonly CategorySpec[] = [
  { name: 'kitchen', nouns: ['MUG', 'TEA CUP AND SAUCER', 'JAM MAKING SET', 'CAKE TIN', 'LUNCH BOX', 'BAKING SET', 'TEAPOT'], price: [0.85, 8] },
  { name: 'home decor', nouns: ['T-LIGHT HOLDER', 'PHOTO FRAME', 'CUSHION COVER', 'WALL CLOCK', 'LANTERN', 'DOORMAT', 'METAL SIGN'], price: [1.25, 12] },
  { name: 'party', nouns: ['PARTY BUNTING', 'PAPER NAPKINS', 'BALLOONS', 'PARTY CONES', 'PAPER CHAIN KIT', 'CAKE CASES'], price: [0.4, 5] },
  { name: 'stationery', nouns: ['NOTEBOOK', 'PENCILS', 'GIFT WRAP', 'GREETING CARD', 'STICKER SHEET', 'MEMO BOARD'], price: [0.3, 3] },
  {
    name: 'garden',
    nouns: ['PLANT POT', 'WATERING CAN', 'BIRD FEEDER', 'GARDEN SIGN', 'HERB MARKER', 'PICNIC BASKET'],
    price: [1.5, 10],
    monthly: [0.5, 0.6, 1, 1.6, 2, 2, 1.8, 1.4, 0.9, 0.6, 0.4, 0.4],
  },
  {
    name: 'toys',
    nouns: ['SPACEBOY ROCKET', 'DOLLY GIRL', 'JIGSAW', 'SKITTLES', 'SNAKES AND LADDERS', 'TOY TIDY'],
    price: [0.8, 10],
    monthly: [0.8, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1, 1.2, 1.6, 1.4],
  },
  { name: 'bags', nouns: ['JUMBO BAG', 'LUNCH BAG', 'SHOPPER', 'PURSE', 'STORAGE BAG'], price: [1, 6] },
  {
    name: 'christmas',
    nouns: ['CHRISTMAS BAUBLE', 'ADVENT CALENDAR', 'STAR DECORATION', 'SANTA', 'WREATH', 'CHRISTMAS CRACKERS'],
    price: [0.4, 10],
    monthly: [0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2, 0.5, 2.5, 4, 5, 2],
  },
];
const C = CATEGORIES.length;

/** Overall demand per calendar month: the Q4 peak of a gift wholesaler. */
export const MONTH_DEMAND = [0.75, 0.75, 0.9, 0.8, 0.9, 0.9, 0.9, 0.95, 1.25, 1.4, 1.75, 1.2];
/** Demand per weekday, Sunday first: busiest on Thursday, almost nothing on Saturday. */
export const WEEKDAY_DEMAND = [0.6, 1.1, 1.15, 1.1, 1.3, 0.85, 0.03];
const WEEKDAY_MEAN = WEEKDAY_DEMAND.reduce((s, v) => s + v, 0) / 7;
const HOUR_DEMAND = [0, 0, 0, 0, 0, 0, 0, 0.2, 0.7, 1, 1.2, 1.4, 1.5, 1.4, 1.2, 1.1, 0.9, 0.6, 0.3, 0.2, 0.1, 0, 0, 0];

const COUNTRIES = ['United Kingdom', 'Germany', 'France', 'EIRE', 'Spain', 'Netherlands', 'Belgium', 'Switzerland', 'Portugal', 'Australia', 'Norway', 'Italy'];
const COUNTRY_WEIGHTS = [80, 3.5, 3, 2.5, 1.5, 1.5, 1.2, 1.2, 1, 0.8, 0.7, 0.6];

/** The non-product codes of Online Retail: postage, manual adjustments, bank charges. */
const SPECIAL = [
  { code: 'POST', description: 'POSTAGE', price: [18, 40] },
  { code: 'DOT', description: 'DOTCOM POSTAGE', price: [5, 60] },
  { code: 'M', description: 'Manual', price: [0.5, 50] },
  { code: 'BANK CHARGES', description: 'Bank Charges', price: [15, 15] },
] as const;
const PACKS = [1, 2, 3, 4, 6, 8, 10, 12, 24, 48];
const PACK_WEIGHTS = [10, 8, 4, 6, 10, 3, 3, 12, 5, 1.5];

interface Hidden {
  signupMs: Float64Array;
  churnMs: Float64Array;
  rate: Float64Array; // orders per day before seasonality
  big: Uint8Array;
  basket: Float64Array; // mean extra lines per invoice
  fav: Uint8Array[]; // favourite categories
  countryIdx: Uint8Array;
  catProducts: Int32Array[];
  catCum: Float64Array[];
}

const hiddenOf = new WeakMap<RetailWorld, Hidden>();
const MONTH_MS = 30.44 * DAY_MS;

function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, d.getUTCDate());
}

export function retailWorld(opts: RetailWorldOptions = {}): RetailWorld {
  const seed = checkSeed(opts.seed);
  const nCustomers = intOption('customers', opts.customers, 500, 1, 10_000_000);
  const nProducts = intOption('products', opts.products, 300, C, 1_000_000);
  const months = intOption('months', opts.months, 12, 1, 240);
  const start = parseStart(opts.start, 'start', '2025-01-01T00:00:00Z');
  const end = addMonths(start, months);

  const faker = new Faker({ locale: [en], seed });
  const rng = new Rng(subSeed(seed, 11));

  // ---- products
  const products: Product[] = [];
  const productCat = new Uint8Array(nProducts);
  const productPop = new Float64Array(nProducts);
  const codes = new Set<string>();
  const descriptions = new Set<string>();
  for (let p = 0; p < nProducts; p++) {
    const c = p < C ? p : rng.int(C);
    const spec = CATEGORIES[c]!;
    let code = '';
    while (code === '' || codes.has(code)) {
      code = String(10000 + rng.int(80000)) + (rng.random() < 0.15 ? 'ABCDEFGHLMNPS'[rng.int(13)] : '');
    }
    codes.add(code);
    let description = '';
    for (let tries = 0; tries < 8 && (description === '' || descriptions.has(description)); tries++) {
      const r = rng.random();
      const lead = r < 0.4 ? faker.color.human() : r < 0.7 ? faker.commerce.productAdjective() : r < 0.85 ? faker.commerce.productMaterial() : 'VINTAGE';
      description = `${lead} ${spec.nouns[rng.int(spec.nouns.length)]!}`.toUpperCase();
    }
    if (descriptions.has(description)) description = `${description} ${code}`;
    descriptions.add(description);
    // log-uniform prices inside the category's range
    const price = spec.price[0] * Math.exp(Math.log(spec.price[1] / spec.price[0]) * rng.random());
    products.push({ stock_code: code, description, category: spec.name, unit_price: Math.round(price * 100) / 100 || 0.01 });
    productCat[p] = c;
    productPop[p] = Math.exp(1.2 * rng.normal());
  }
  const catProducts: Int32Array[] = Array.from(
    { length: C },
    (_, c) => Int32Array.from(Array.from({ length: nProducts }, (_, p) => p).filter((p) => productCat[p] === c)),
  );
  const catCum = catProducts.map((ids) => cumulative(Array.from(ids, (p) => productPop[p]!)));

  // ---- customers: value heterogeneity and churn
  const countryCum = cumulative(COUNTRY_WEIGHTS);
  const customers: Customer[] = [];
  const h: Hidden = {
    signupMs: new Float64Array(nCustomers), churnMs: new Float64Array(nCustomers), rate: new Float64Array(nCustomers),
    big: new Uint8Array(nCustomers), basket: new Float64Array(nCustomers), fav: [], countryIdx: new Uint8Array(nCustomers),
    catProducts, catCum,
  };
  const span = end - start;
  for (let i = 0; i < nCustomers; i++) {
    const ci = pick(countryCum, rng.random());
    // 40% were already customers when the world starts; the rest are acquired along the way
    const signup = rng.random() < 0.4
      ? start - (1 + rng.int(365)) * DAY_MS
      : start + Math.floor(rng.random() * 0.9 * span / DAY_MS) * DAY_MS;
    const big = rng.random() < 0.03;
    const perMonth = Math.exp(-0.3 + 0.8 * rng.normal()) * (big ? 4 : 1);
    // monthly churn hazard: an exponential lifetime after signup
    const hazard = 0.03 + 0.12 * rng.random();
    const churn = signup + exponential(rng, 1 / hazard) * MONTH_MS;
    customers.push({ customer_id: String(12346 + i), country: COUNTRIES[ci]!, signup_date: isoDate(signup) });
    h.signupMs[i] = signup; h.churnMs[i] = churn; h.rate[i] = perMonth / 30.44; h.big[i] = big ? 1 : 0;
    h.basket[i] = Math.exp(1.8 + 0.5 * rng.normal()) * (big ? 2 : 1);
    const f1 = rng.int(C);
    h.fav.push(Uint8Array.from([f1, (f1 + 1 + rng.int(C - 1)) % C]));
    h.countryIdx[i] = ci;
  }

  // the spending shift draws its own stream, so a world with and without it share everything before it
  let shift: SpendShift | undefined;
  if (opts.spendShift) {
    const srng = new Rng(subSeed(seed, 13));
    const share = numberOption('spendShift.fraction', opts.spendShift.fraction, 1, 0, 1);
    shift = {
      from: parseStart(opts.spendShift.from, 'spendShift.from'), factor: numberOption('spendShift.factor', opts.spendShift.factor, 3, 0.01, 1000),
      moved: Uint8Array.from({ length: nCustomers }, () => (srng.random() < share ? 1 : 0)),
    };
  }
  const world: RetailWorld = {
    kind: 'retail', seed, start, end, customers, products,
    events: () => retailEvents(world, h, shift),
    dimensions: () => ({ customers, products }),
  };
  hiddenOf.set(world, h);
  return world;
}

/** The hidden behaviour behind a retail world, for tests and evaluation only. */
export function retailTruth(world: RetailWorld): CustomerTruth[] {
  const h = hiddenOf.get(world);
  if (!h) throw new Error('retailTruth: not a world made by retailWorld()');
  return world.customers.map((c, i) => ({
    customer_id: c.customer_id,
    orders_per_month: h.rate[i]! * 30.44,
    big_spender: h.big[i] === 1,
    churn_at: isoTs(Math.min(h.churnMs[i]!, 8.64e15)),
    favourite_categories: Array.from(h.fav[i]!, (k) => CATEGORIES[k]!.name),
  }));
}

/** An order line before emission; `order` groups the lines of one invoice. */
interface RawLine {
  t: number;
  order: number;
  cancel: boolean;
  /** product index, or -1 - index into SPECIAL */
  p: number;
  q: number;
  price: number;
  /** customer index or -1 */
  c: number;
  country: string;
}

interface SpendShift { from: number; factor: number; moved: Uint8Array }

function* retailEvents(world: RetailWorld, h: Hidden, shift: SpendShift | undefined): Generator<OrderLineEvent> {
  const rng = new Rng(subSeed(world.seed, 12));
  const ids = new IdStream(world.seed, 2);
  const { customers, products } = world;
  const nCustomers = customers.length;
  const merger = new DayMerger<RawLine>();
  const hourCum = cumulative(HOUR_DEMAND);
  const packCum = cumulative(PACK_WEIGHTS);
  let orderSeq = 0;
  let invoice = 536365;
  let lastOrder = -1;
  let invoiceNo = '';
  const days = Math.round((world.end - world.start) / DAY_MS);

  const makeOrder = (out: RawLine[], t: number, c: number, country: string, catW: Float64Array, seasonCum: Float64Array): void => {
    const order = orderSeq++;
    const nLines = 1 + poisson(rng, c >= 0 ? h.basket[c]! : 4);
    const big = c >= 0 && h.big[c] === 1;
    const seen = new Set<number>();
    const lines: RawLine[] = [];
    // a customer's favourite categories weigh 4x, still subject to the season (nobody buys
    // Christmas crackers in May)
    let cum = seasonCum;
    if (c >= 0) {
      const f = h.fav[c]!;
      for (let k = 0; k < C; k++) favW[k] = catW[k]! * (k === f[0] || k === f[1] ? 4 : 1);
      cum = cumulative(favW);
    }
    for (let k = 0; k < nLines; k++) {
      const cat = pick(cum, rng.random());
      const list = h.catProducts[cat]!;
      const p = list[pick(h.catCum[cat]!, rng.random())]!;
      if (seen.has(p)) continue;
      seen.add(p);
      let q = PACKS[pick(packCum, rng.random())]!;
      if (big) q *= 4 + rng.int(9);
      if (shift && c >= 0 && t >= shift.from && shift.moved[c]) q = Math.max(1, Math.round(q * shift.factor));
      // wholesale quantities get the lower price, as in the real file
      const base = products[p]!.unit_price;
      const price = q >= 100 ? Math.max(0.01, Math.round(base * 85) / 100) : base;
      lines.push({ t, order, cancel: false, p, q, price, c, country });
    }
    // postage for customers abroad, the web shop's postage for guests, rare manual lines and
    // bank charges: the non-product codes a cleaning rule must drop
    if (c >= 0 && country !== 'United Kingdom' && rng.random() < 0.5) lines.push(special(t, order, 0, c, country, 1 + rng.int(3)));
    if (c < 0 && rng.random() < 0.3) lines.push(special(t, order, 1, c, country, 1));
    if (rng.random() < 0.004) lines.push(special(t, order, 2, c, country, 1));
    if (rng.random() < 0.0015) lines.push(special(t, order, 3, c, country, 1));
    for (const l of lines) out.push(l);
    // a cancellation, hours to weeks later, of some or all of the lines
    if (c >= 0 && rng.random() < (big ? 0.08 : 0.025)) {
      const order2 = orderSeq++;
      const t2 = t + HOUR_MS + Math.floor(exponential(rng, 5 * DAY_MS));
      for (const l of lines) {
        if (lines.length > 1 && rng.random() < 0.4) continue;
        const q = rng.random() < 0.7 ? l.q : Math.max(1, Math.floor(l.q / 2));
        out.push({ ...l, t: t2, order: order2, cancel: true, q: -q });
      }
    }
  };
  const special = (t: number, order: number, s: number, c: number, country: string, q: number): RawLine => {
    const [lo, hi] = SPECIAL[s]!.price;
    return { t, order, cancel: false, p: -1 - s, q, price: Math.round((lo + (hi - lo) * rng.random()) * 100) / 100, c, country };
  };

  const catW = new Float64Array(C);
  const favW = new Float64Array(C);
  for (let day = 0; day < days; day++) {
    const dayStart = world.start + day * DAY_MS;
    const date = new Date(dayStart);
    const month = date.getUTCMonth();
    const season = MONTH_DEMAND[month]! * WEEKDAY_DEMAND[date.getUTCDay()]! / WEEKDAY_MEAN;
    for (let k = 0; k < C; k++) catW[k] = CATEGORIES[k]!.monthly?.[month] ?? 1;
    const seasonCum = cumulative(catW);
    const fresh: RawLine[] = [];
    for (let c = 0; c < nCustomers; c++) {
      if (h.signupMs[c]! > dayStart || h.churnMs[c]! <= dayStart) continue;
      const n = poisson(rng, h.rate[c]! * season);
      for (let k = 0; k < n; k++) {
        const t = dayStart + pick(hourCum, rng.random()) * HOUR_MS + Math.floor(rng.random() * HOUR_MS);
        if (t >= h.churnMs[c]!) continue; // churned earlier that day
        makeOrder(fresh, t, c, customers[c]!.country, catW, seasonCum);
      }
    }
    // guest checkouts: no customer id, a small share of orders
    const guests = poisson(rng, 0.02 * nCustomers * 0.5 / 30.44 * season);
    for (let k = 0; k < guests; k++) {
      const t = dayStart + pick(hourCum, rng.random()) * HOUR_MS + Math.floor(rng.random() * HOUR_MS);
      makeOrder(fresh, t, -1, rng.random() < 0.9 ? 'United Kingdom' : COUNTRIES[rng.int(COUNTRIES.length)]!, catW, seasonCum);
    }
    const until = Math.min(dayStart + DAY_MS, world.end);
    for (const l of merger.take(fresh, until)) {
      // invoice numbers rise with time, so they are assigned as invoices are emitted
      if (l.order !== lastOrder) { lastOrder = l.order; invoiceNo = (l.cancel ? 'C' : '') + String(invoice++); }
      const sp = l.p < 0 ? SPECIAL[-1 - l.p]! : null;
      const pr = sp ? null : products[l.p]!;
      yield {
        event_id: ids.next(), type: 'order_line', ts: isoTs(l.t), invoice_no: invoiceNo,
        stock_code: sp ? sp.code : pr!.stock_code, description: sp ? sp.description : pr!.description,
        quantity: l.q, unit_price: l.price, customer_id: l.c >= 0 ? customers[l.c]!.customer_id : null,
        country: l.country, category: pr ? pr.category : null,
      };
    }
  }
}

