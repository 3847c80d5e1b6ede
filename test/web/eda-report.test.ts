// The EDA reports in a real browser (Debian's chromium, headless, through playwright-core): the
// profile with a target and the comparison of two tables, opened from disk as a user would.
// Screenshots of both go to test-artifacts/eda/. What a reader needs is checked on the rendered
// page, not in the HTML text: no console error and no request beyond the file itself; nothing
// wider than the window; every chart has ticks on its axes, and no two tick labels of an axis
// overlap or leave their chart.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { compareTables } from '../../src/analytics/eda/compare.ts';
import { renderCompareHtml, renderHtml } from '../../src/analytics/eda/html.ts';
import { profileMaterialized } from '../../src/analytics/eda/profile.ts';
import { materialize } from '../../src/analytics/eda/source.ts';
import { resolveSource } from '../../src/cli/eda.ts';
import { Rng } from '../../src/ml/core/rng.ts';
import { packageRoot } from '../../src/util/paths.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { CHROMIUM, launchChromium } from './browser.ts';

const ARTIFACTS = join(packageRoot, 'test-artifacts', 'eda');

/** Orders with integers, money, yes/no, categories, a date, some missing values and duplicates. */
function orders(n: number, seed: number, shift = 0): string {
  const rng = new Rng(seed);
  const lines = ['order_date,items,unit_price,amount,country,member,coupon,rating'];
  const countries = ['United Kingdom', 'Germany', 'France', 'EIRE', 'Spain', 'Netherlands', 'Belgium', 'Switzerland', 'Portugal', 'Australia'];
  for (let i = 0; i < n; i++) {
    const items = 1 + Math.floor(-Math.log(1 - rng.random()) * 4);
    const price = Math.round((2 + 30 * rng.random() ** 2 + shift) * 100) / 100;
    const member = rng.random() < 0.3 ? 'yes' : 'no';
    const country = countries[Math.min(countries.length - 1, Math.floor(-Math.log(1 - rng.random()) * 2))]!;
    const day = 1 + rng.int(300);
    const date = new Date(Date.UTC(2024, 0, day)).toISOString().slice(0, 10);
    const coupon = rng.random() < 0.2 ? '' : `C${rng.int(5)}`;
    const rating = member === 'yes' ? 3 + rng.int(3) : 1 + rng.int(5);
    lines.push(`${date},${items},${price},${(items * price).toFixed(2)},${country},${member},${coupon},${rating}`);
  }
  lines.push(lines[5]!, lines[6]!);
  return lines.join('\n') + '\n';
}

/**
 * Runs in the page (as text: the test's TypeScript transform would add helpers the page lacks):
 * every chart's axes, their tick labels' boxes, and the page's width.
 */
const LAYOUT_CHECK = `(() => {
  const overlaps = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const charts = [...document.querySelectorAll('svg.chart')];
  const problems = [];
  let ticks = 0;
  for (const svg of charts) {
    const label = svg.getAttribute('aria-label');
    const box = svg.getBoundingClientRect();
    for (const axis of svg.querySelectorAll('g.axis')) {
      const texts = [...axis.querySelectorAll('g.tick text')].map((t) => t.getBoundingClientRect());
      ticks += texts.length;
      if (texts.length < 2 && !svg.classList.contains('matrix')) problems.push(label + ': an axis with ' + texts.length + ' tick labels');
      for (let i = 0; i < texts.length; i++) {
        const r = texts[i];
        if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) ` +
          `problems.push(label + ': a tick label leaves the chart');
        for (let j = i + 1; j < texts.length; j++) if (overlaps(r, texts[j])) problems.push(label + ': tick labels ' + i + ' and ' + j + ' overlap');
      }
    }
  }
  return { charts: charts.length, ticks, problems, scrollWidth: document.documentElement.scrollWidth };
})()`;

async function checkPage(page: Page, name: string): Promise<void> {
  const width = page.viewportSize()!.width;
  const layout = await page.evaluate(LAYOUT_CHECK) as { charts: number; ticks: number; problems: string[]; scrollWidth: number };
  assert.deepEqual(layout.problems, [], name);
  assert.ok(layout.scrollWidth <= width, `${name}: the page is ${layout.scrollWidth} px wide in a ${width} px window`);
  assert.ok(layout.charts >= 5 && layout.ticks >= 10 * layout.charts / 2, `${name}: ${layout.charts} charts, ${layout.ticks} ticks`);
}

test('EDA reports in the browser: screenshots, axes and ticks that a reader can read', { skip: existsSync(CHROMIUM)
  ? false
  : `no chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)` }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  const { context, close } = await launchChromium({ viewport: { width: 1280, height: 900 } });
  t.after(async () => { await close(); await ws.close(); cleanup(); });

  // the reports, as `tributary eda` writes them
  const fa = join(home, 'orders-2024.csv'), fb = join(home, 'orders-2025.csv');
  writeFileSync(fa, orders(3000, 1));
  writeFileSync(fb, orders(3000, 2, 6));
  const [sa, sb] = [await resolveSource(ws, fa), await resolveSource(ws, fb)];
  const [ma, mb] = [await materialize(ws.wh, sa.source, sa.textSource), await materialize(ws.wh, sb.source, sb.textSource)];
  const pa = await profileMaterialized(ws.wh, ma, 'orders-2024.csv', { target: 'amount', file: fa });
  const pb = await profileMaterialized(ws.wh, mb, 'orders-2025.csv', { file: fb });
  const cmp = await compareTables(ws.wh, { m: ma, p: pa }, { m: mb, p: pb });
  await ma.drop(); await mb.drop();
  const report = join(home, 'report.html'), compare = join(home, 'compare.html');
  writeFileSync(report, renderHtml(pa));
  writeFileSync(compare, renderCompareHtml(cmp, { labels: ['2024', '2025'] }));

  const errors: string[] = [], requests: string[] = [];
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  context.on('request', (r) => requests.push(r.url()));

  await t.test('the profile with a target', async () => {
    await page.goto(`file://${report}`);
    await checkPage(page, 'report');
    assert.equal(await page.locator('h2#target').count(), 1);
    assert.ok(await page.locator('text=yes').count() > 0, 'the booleans as the file writes them');
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    // the parts a reviewer looks at first, at full size
    await page.locator('svg.matrix').screenshot({ path: join(ARTIFACTS, 'report-missing.png') });
    await page.locator('section#c-items').screenshot({ path: join(ARTIFACTS, 'report-integer-histogram.png') });
    await page.locator('#target-charts').screenshot({ path: join(ARTIFACTS, 'report-target.png') });
  });

  await t.test('the comparison', async () => {
    await page.goto(`file://${compare}`);
    await checkPage(page, 'compare');
    assert.equal(await page.locator('td.shifted').first().textContent(), 'shifted');
    await page.screenshot({ path: join(ARTIFACTS, 'compare.png'), fullPage: true });
    await page.locator('section#d-unit_price').screenshot({ path: join(ARTIFACTS, 'compare-unit_price.png') });
  });

  assert.deepEqual(errors, []);
  assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), [], 'no request leaves the file');
  // the page's width at a phone's size: charts keep their aspect, the page does not break
  await page.setViewportSize({ width: 800, height: 900 });
  await page.goto(`file://${report}`);
  const narrow = await page.evaluate('document.documentElement.scrollWidth') as number;
  assert.ok(narrow <= 820, `report at 800 px: ${narrow} px wide`);
});
