// The dashboard in a real browser (Debian's chromium, headless, through playwright-core) against
// `tributary serve`'s app on a small world built by the product's own generators and pipelines:
// every page loads with no console error and no request leaving 127.0.0.1 (a screenshot of each
// in test-artifacts/dashboard/), a filter change changes the numbers to what the API answers for
// the same filter, customer search and user lookup work, promoting from the Models page changes
// the champion, axe-core finds no serious accessibility violation, and the keyboard reaches and
// follows the navigation.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startServer } from '../../src/serving/server.ts';
import { packageRoot } from '../../src/util/paths.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { CHROMIUM, ensureWebBuild, launchChromium } from './browser.ts';
import { buildDashboardWorld } from './world.ts';

// the browser's globals, for the functions page.evaluate() runs there (this project's TypeScript has no DOM lib)
declare const document: any, location: any, window: any;
type HTMLElement = any;

const ARTIFACTS = join(packageRoot, 'test-artifacts', 'dashboard');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PAGES = ['overview', 'sales', 'segments', 'music', 'models', 'pipelines'];

/** What the page shows as money (the app's format): "£1,234.56". */
const money = (v: number) => `£${new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 }).format(v)}`;
const int = (v: number) => new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 }).format(v);

test('dashboard in the browser', { skip: existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)` }, async (t) => {
  ensureWebBuild();
  mkdirSync(ARTIFACTS, { recursive: true });
  const { home, cleanup } = tmpHome();
  const config = testConfig(home);
  await buildDashboardWorld(config);
  const server = await startServer(config, { featureRefreshMs: 60_000, pollMs: 200 });
  // a second version of the spend model, to promote from the page
  const v1 = await server.ctx.registry!.loadModel('retail-spend', 'latest');
  await server.ctx.registry!.registerModel('retail-spend', { artifact: v1.artifact, metrics: v1.metrics, params: v1.params });
  const { context, close } = await launchChromium();
  t.after(async () => { await close(); await server.close(); cleanup(); });

  const origin = new URL(server.url);
  const problems: string[] = [];
  const remote: string[] = [];
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.stack ?? e.message}`));
  context.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol === 'data:' || u.protocol === 'blob:') return;
    if (u.hostname !== '127.0.0.1' || u.port !== origin.port) remote.push(r.url());
  });
  const api = async (path: string) => (await fetch(`${server.url}${path}`)).json() as Promise<any>;
  const open = async (p: Page, hash: string) => {
    const id = hash.split('?')[0]!;
    await p.goto(`${server.url}/#/${hash}`);
    await p.waitForSelector(`body[data-ready="${id}"]`, { timeout: 60_000 });
  };
  const kpi = (name: string) => page.textContent(`[data-kpi="${name}"]`);

  await t.test('every page loads with no console error and no request leaving 127.0.0.1', async () => {
    for (const p of PAGES) {
      await open(page, p);
      assert.equal(await page.locator('main .error').count(), 0, `${p}: ${await page.locator('main .error').allTextContents()}`);
      assert.ok((await page.locator('main canvas').count()) > 0 || p === 'models', `${p} draws charts`);
      await page.screenshot({ path: join(ARTIFACTS, `${p}.png`), fullPage: true });
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(remote, []);
  });

  await t.test('a filter change changes the numbers, to what the API answers for the same filter', async () => {
    await open(page, 'overview');
    const all = await api('/v1/dashboard/overview');
    assert.equal(await kpi('revenue'), money(all.retail.revenue));
    const { countries, months } = await api('/v1/dashboard/filters');
    const country = countries.find((c: string) => c !== 'United Kingdom');
    await page.selectOption('#f-country', country);
    await page.waitForFunction((c) => location.hash.includes(`country=${encodeURIComponent(c)}`) && document.body.dataset.ready === 'overview', country);
    await page.selectOption('#f-from', months[1]);
    await page.waitForFunction(() => location.hash.includes('from=') && document.body.dataset.ready === 'overview');
    const f = await api(`/v1/dashboard/overview?country=${encodeURIComponent(country)}&from=${months[1]}`);
    assert.notEqual(f.retail.revenue, all.retail.revenue);
    assert.equal(await kpi('revenue'), money(f.retail.revenue));
    assert.equal(await kpi('customers'), int(f.retail.customers));
    assert.equal(await kpi('avg_ticket'), money(f.retail.avg_ticket));
    // the view is in the URL: reloading it shows the same numbers
    await page.reload();
    await page.waitForSelector('body[data-ready="overview"]');
    assert.equal(await kpi('revenue'), money(f.retail.revenue));
    assert.equal(await page.inputValue('#f-country'), country);
    // and the sales page, for the same filter, lists the same country's revenue
    await open(page, `sales?country=${encodeURIComponent(country)}&from=${months[1]}`);
    const rows = await page.locator('[data-table="countries"] tbody tr').allTextContents();
    assert.deepEqual(rows.length, 1);
    assert.ok(rows[0]!.includes(money(f.retail.revenue)), rows[0]);
  });

  await t.test('the forecast and the genre transitions follow the filters, to what the API answers', async () => {
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    const forecastRows = () => page.locator('[data-table="forecast"] tbody tr').evaluateAll(
      (trs: any[]) => trs.map((tr) => [...tr.cells].map((c: any) => c.textContent)),
    );
    const expectForecast = (body: any) => body.forecast.filter((r: any) => r.is_best)
      .map((r: any) => [
        r.period,
        r.kind === 'future' ? 'next month' : 'backtest',
        r.actual === null ? '–' : money(r.actual),
        money(r.forecast),
        r.actual === null ? '–' : pct((r.forecast - r.actual) / r.actual),
      ]);
    await open(page, 'sales');
    const all = await api('/v1/dashboard/sales');
    assert.deepEqual(await forecastRows(), expectForecast(all));
    const { countries, music_countries: listeners } = await api('/v1/dashboard/filters');
    const country = countries.find((c: string) => c !== 'United Kingdom');
    await page.selectOption('#f-country', country);
    await page.waitForFunction((c) => location.hash.includes(`country=${encodeURIComponent(c)}`) && document.body.dataset.ready === 'sales', country);
    const f = await api(`/v1/dashboard/sales?country=${encodeURIComponent(country)}`);
    const shown = await forecastRows();
    assert.deepEqual(shown, expectForecast(f));
    assert.notDeepEqual(shown, expectForecast(all));

    const transitionRows = () => page.locator('[data-table="transitions"] tbody tr').evaluateAll(
      (trs: any[]) => trs.map((tr) => [...tr.cells].map((c: any) => c.textContent)),
    );
    const expectTransitions = (body: any) => [...body.transitions]
      .sort((a: any, b: any) => b.plays - a.plays || a.prev_genre.localeCompare(b.prev_genre) || a.genre.localeCompare(b.genre)).slice(0, 10)
      .map((x: any) => [x.prev_genre, x.genre, int(x.plays), pct(x.skip_rate)]);
    await open(page, 'music');
    const music = await api('/v1/dashboard/music');
    assert.deepEqual(await transitionRows(), expectTransitions(music));
    await page.selectOption('#m-listener_country', listeners[0]);
    await page.waitForFunction((c) => location.hash.includes(`listener_country=${c}`) && document.body.dataset.ready === 'music', listeners[0]);
    const byCountry = await api(`/v1/dashboard/music?country=${listeners[0]}`);
    const rows = await transitionRows();
    assert.deepEqual(rows, expectTransitions(byCountry));
    assert.notDeepEqual(rows, expectTransitions(music));
  });

  await t.test('the Pipelines page draws a build run\'s steps and names its longest chain, as its tracked run recorded it', async () => {
    const { runs } = await api('/v1/dashboard/pipelines?pipeline=build');
    const build = runs[0];
    const chain = build.tags.longest_chain.split(' -> ');
    assert.ok(chain.length > 1 && chain.every((s: string) => build.steps.some((x: any) => x.name === s)), build.tags.longest_chain);
    await open(page, `pipelines?run=${build.id}`);
    const note = await kpi('longest_chain');
    assert.ok(note!.startsWith(`Longest chain of dependent steps: ${chain.join(' → ')}, `), note!);
    await page.screenshot({ path: join(ARTIFACTS, 'pipelines-build.png'), fullPage: true });
    // no streaming yet: the hint shows each command it names as code
    const hint = (await api('/v1/dashboard/streaming')).hint as string;
    const commands = [...hint.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    assert.ok(commands.length >= 2, hint);
    assert.deepEqual(await page.locator('section[aria-labelledby="s-streaming-services"] .empty code').allTextContents(), commands);
  });

  await t.test('customer search and user lookup', async () => {
    await open(page, 'segments');
    const segs = await api('/v1/dashboard/segments');
    const id = segs.points.customer_id[3] as string;
    await page.fill('#customer-q', id.slice(0, 4));
    await page.click('form[aria-label="Customer search"] button[type="submit"]');
    await page.click(`#customer-results button:text-is("${id}")`);
    await page.waitForSelector(`[data-customer="${id}"]`);
    await page.waitForFunction(() => document.body.dataset.ready === 'segments');
    const c = await api(`/v1/dashboard/customers/${id}`);
    assert.equal(await page.textContent('[data-field="segment"]'), `${c.segment.segment}: ${c.segment.name}`);
    assert.match((await page.textContent('[data-field="spend"]'))!, new RegExp(`^${money(c.spend.spend).replace(/[.$]/g, '\\$&')} over the next 90 days`));
    assert.equal(await page.locator('[data-table="similar"] tbody tr').count(), c.similar.length);

    await open(page, 'music');
    const users = (await api('/v1/dashboard/users?q=u2')).users;
    await page.fill('#user-q', 'u2');
    await page.press('#user-q', 'Enter');
    await page.click(`#user-results button:text-is("${users[0].user_id}")`);
    await page.waitForSelector(`[data-user="${users[0].user_id}"]`);
    const u = await api(`/v1/dashboard/users/${users[0].user_id}`);
    const playlist = await page.locator('[data-table="playlist"] tbody tr').allTextContents();
    assert.equal(playlist.length, u.playlist.length);
    assert.ok(playlist[0]!.includes(u.playlist[0].reason));
    assert.equal(await page.locator('[data-table="recent"] tbody tr').count(), u.recent.length);
  });

  await t.test('promote from the Models page changes the champion', async () => {
    await open(page, 'models?model=retail-spend');
    const before = (await api('/v1/models')).models.find((m: any) => m.name === 'retail-spend');
    const target = before.latest_version;
    assert.notEqual(before.champion, target);
    await page.click(`[data-promote="${target}"]`);
    await page.waitForFunction(
      (v) => document.querySelector('[data-champion="retail-spend"]')?.textContent === `v${v}` && document.body.dataset.ready === 'models',
      target,
    );
    const after = (await api('/v1/models')).models.find((m: any) => m.name === 'retail-spend');
    assert.equal(after.champion, target);
    assert.equal(after.serving.version, target);
    // runs compared side by side
    const runs = (await api('/v1/dashboard/runs?top_level=true')).runs.slice(0, 2);
    await open(page, `models?compare=${runs.map((r: any) => r.id).join(',')}`);
    assert.ok(await page.locator('[data-table="compare-metrics"] tbody tr').count() > 3);
    await page.screenshot({ path: join(ARTIFACTS, 'models-compare.png'), fullPage: true });
    assert.deepEqual(problems, []);
  });

  await t.test('no serious accessibility violation on any page (axe-core)', async () => {
    for (const p of PAGES) {
      await open(page, p === 'segments' ? `segments?customer=${(await api('/v1/dashboard/segments')).points.customer_id[0]}` : p);
      await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate(async () => {
        const r = await (window as any).axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter((v: any) => v.impact === 'serious' || v.impact === 'critical').map(
          (v: any) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')).join('; ')})`,
        );
      });
      assert.deepEqual(violations, [], `${p}: ${violations.join('\n')}`);
    }
  });

  await t.test('keyboard: skip link, navigation and filters are reachable and work', async () => {
    await page.goto('about:blank');
    await open(page, 'overview');
    // from the top of a fresh page: the skip link, then the pages in order
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      seen.push(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.page ?? document.activeElement!.id));
      if (seen.at(-1) === 'music') break;
    }
    assert.deepEqual(seen, ['skip-link', 'overview', 'sales', 'segments', 'music']);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-ready="music"]');
    // focus moves to the new page's content; the first control is reachable by Tab
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'm-from');
    // the skip link takes the keyboard past the navigation
    await page.goto('about:blank');
    await open(page, 'sales');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-from');
    // a filter chosen with the keyboard alone
    await page.goto('about:blank');
    await open(page, 'overview');
    await page.focus('#f-category');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => location.hash.includes('category=') && document.body.dataset.ready === 'overview');
    const category = await page.inputValue('#f-category');
    const f = await api(`/v1/dashboard/overview?category=${encodeURIComponent(category)}`);
    assert.equal(await kpi('revenue'), money(f.retail.revenue));
    assert.deepEqual(problems, []);
    assert.deepEqual(remote, []);
  });
});
