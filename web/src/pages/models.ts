// Models, the MLflow-UI view: runs in a table with a search filter (`metrics.rmse < 3`, as the
// CLI's --filter), runs compared side by side (params, metrics, metric curves, stage timings),
// and the registry: models, versions, aliases, lineage (lake snapshots) and model cards, with
// promote and roll back (the API token, when the server has one, is kept for this tab only).
import { ApiError, get, post } from '../api.ts';
import { draw, PALETTE } from '../charts.ts';
import { setParams } from '../route.ts';
import { chartBox, empty, fmt, h, section, table } from '../ui.ts';

const TOKEN_KEY = 'tributary-api-token';

export async function modelsPage(root: HTMLElement, params: Record<string, string>): Promise<void> {
  const selected = new Set((params.compare ?? '').split(',').filter(Boolean));
  let runs: any;
  const filterInput = h('input', { id: 'run-filter', type: 'text', value: params.filter ?? '', placeholder: 'metrics.rmse < 3 and params.model = "rf"', size: 40 });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Run filter', onsubmit: (e: Event) => { e.preventDefault(); setParams({ filter: filterInput.value.trim() || undefined }); } },
    h('div', { class: 'field' }, h('label', { for: 'run-filter' }, 'Filter runs'), filterInput), h('button', { type: 'submit' }, 'Apply'),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'run-children', checked: !!params.children, onchange: (e: Event) => setParams({ children: (e.target as HTMLInputElement).checked ? '1' : undefined }) }), ' include child runs (steps, trials)'));
  const runsSection = section('Runs', form);
  root.append(runsSection);
  try {
    runs = await get('/v1/dashboard/runs', { filter: params.filter, limit: '200', top_level: params.children ? 'false' : 'true' });
  } catch (e) {
    runsSection.append(h('p', { class: 'error', role: 'alert' }, (e as Error).message));
    runs = { runs: [], hint: null };
  }
  if (runs.hint) runsSection.append(empty(runs.hint));
  else {
    const metricKeys = [...new Set(runs.runs.flatMap((r: any) => Object.keys(r.metrics)))].slice(0, 6) as string[];
    const compareBtn = h('button', { type: 'button', disabled: selected.size < 2, onclick: () => setParams({ compare: [...selected].join(',') }) }, 'Compare selected');
    runsSection.append(table(`${runs.runs.length} runs, newest first`, [
      { label: 'Compare', value: (r: any) => h('input', { type: 'checkbox', 'aria-label': `compare run ${r.id.slice(0, 8)}`, checked: selected.has(r.id), 'data-run': r.id,
        onchange: (e: Event) => { (e.target as HTMLInputElement).checked ? selected.add(r.id) : selected.delete(r.id); compareBtn.toggleAttribute('disabled', selected.size < 2); } }) },
      { label: 'Run', value: (r: any) => h('code', {}, r.id.slice(0, 8)) }, { label: 'Pipeline', value: (r: any) => r.pipeline + (r.step ? ` / ${r.step}` : '') },
      { label: 'Status', value: (r: any) => r.status }, { label: 'Started', value: (r: any) => r.started_at.slice(0, 19).replace('T', ' ') },
      { label: 'Duration', value: (r: any) => fmt.ms(r.duration_ms), num: true },
      ...metricKeys.map((k) => ({ label: k, value: (r: any) => fmt.num(r.metrics[k]), num: true })),
    ], runs.runs, { 'data-table': 'runs' }), compareBtn);
  }
  if (selected.size >= 2 && params.compare) await comparison(root, params.compare);
  root.append(await registry(params));
}

async function comparison(root: HTMLElement, ids: string): Promise<void> {
  const out = section('Comparison');
  root.append(out); // before drawing: a chart takes its size from its element
  let c: any;
  try { c = await get('/v1/dashboard/runs/compare', { ids }); } catch (e) { out.append(h('p', { class: 'error', role: 'alert' }, (e as Error).message)); return; }
  const cols = c.runs.map((r: any) => ({ label: `${r.pipeline} ${r.id.slice(0, 8)}`, value: (k: any) => k.values[r.id] ?? '–' }));
  const rows = (keys: string[], get: (r: any, k: string) => string) => keys.map((k) => ({ key: k, values: Object.fromEntries(c.runs.map((r: any) => [r.id, get(r, k)])) }));
  out.append(h('div', { class: 'two' },
    table('Params', [{ label: 'Param', value: (k: any) => k.key }, ...cols], rows(c.param_keys, (r, k) => r.params[k] ?? '–'), { 'data-table': 'compare-params' }),
    table('Metrics (last value)', [{ label: 'Metric', value: (k: any) => k.key }, ...cols.map((x: any) => ({ ...x, num: true }))], rows(c.metric_keys, (r, k) => fmt.num(r.metrics[k])), { 'data-table': 'compare-metrics' })));
  const draws: Promise<unknown>[] = [];
  if (c.curves.length) {
    const curveBox = chartBox('Metric curves of the compared runs, by step', 'chart wide');
    out.append(h('h3', {}, 'Metric curves'), curveBox);
    draws.push(draw(curveBox, {
      tooltip: { trigger: 'axis' }, legend: { top: 0, type: 'scroll' }, grid: { left: 70, right: 20, top: 40, bottom: 30 },
      xAxis: { type: 'value', name: 'step' }, yAxis: { type: 'value', scale: true },
      series: c.curves.map((s: any, i: number) => ({ type: 'line', name: `${s.key} (${s.run_id.slice(0, 8)})`, data: s.points.map((p: any) => [p.step, p.value]), itemStyle: { color: PALETTE[i % PALETTE.length] } })),
    }));
  }
  const stepNames = [...new Set(c.runs.flatMap((r: any) => r.steps.map((s: any) => s.name)))] as string[];
  if (stepNames.length) {
    const stageBox = chartBox('Stage durations of the compared runs', 'chart');
    out.append(h('h3', {}, 'Stage timings'), stageBox);
    draws.push(draw(stageBox, {
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmt.ms(v) }, legend: { top: 0 }, grid: { left: 110, right: 20, top: 36, bottom: 30 },
      xAxis: { type: 'value', name: 'ms' }, yAxis: { type: 'category', data: stepNames },
      series: c.runs.map((r: any, i: number) => ({ type: 'bar', name: `${r.pipeline} ${r.id.slice(0, 8)}`, itemStyle: { color: PALETTE[i % PALETTE.length] },
        data: stepNames.map((n) => r.steps.filter((s: any) => s.name === n).reduce((a: number, s: any) => a + s.duration_ms, 0) || null) })),
    }));
  }
  await Promise.all(draws);
}

async function registry(params: Record<string, string>): Promise<HTMLElement> {
  const out = section('Registry');
  const m = await get('/v1/dashboard/models');
  if (m.hint) { out.append(empty(m.hint)); return out; }
  const tokenInput = h('input', { id: 'api-token', type: 'password', autocomplete: 'off', value: sessionStorage.getItem(TOKEN_KEY) ?? '',
    onchange: (e: Event) => sessionStorage.setItem(TOKEN_KEY, (e.target as HTMLInputElement).value) });
  out.append(h('div', { class: 'field token' }, h('label', { for: 'api-token' }, 'API token (only when the server has TRIBUTARY_API_TOKEN)'), tokenInput));
  out.append(table('Registered models', [
    { label: 'Model', value: (x: any) => h('button', { type: 'button', class: 'link', 'aria-pressed': x.name === params.model ? 'true' : 'false', onclick: () => setParams({ model: x.name }) }, x.name) },
    { label: 'Latest', value: (x: any) => `v${x.latest_version}`, num: true },
    { label: 'Champion', value: (x: any) => h('span', { 'data-champion': x.name }, x.champion ? `v${x.champion}` : '–'), num: true },
    { label: 'Challenger', value: (x: any) => (x.challenger ? `v${x.challenger}` : '–'), num: true },
    { label: 'Updated', value: (x: any) => x.updated_at.slice(0, 19).replace('T', ' ') },
  ], m.models, { 'data-table': 'models' }));
  const name = params.model && m.models.some((x: any) => x.name === params.model) ? params.model : undefined;
  if (!name) { out.append(h('p', { class: 'note' }, 'Choose a model to see its versions, lineage and model cards.')); return out; }
  const d = await get(`/v1/dashboard/models/${encodeURIComponent(name)}`);
  const status = h('p', { role: 'status', class: 'note', id: 'registry-status' });
  const act = async (what: 'promote' | 'rollback', body: Record<string, unknown>) => {
    try {
      const r = await post(`/v1/models/${encodeURIComponent(name)}/${what}`, body, tokenInput.value || undefined);
      status.textContent = `${r.alias} of ${name}: v${r.from_version ?? '–'} → v${r.to_version}`;
      setTimeout(() => window.dispatchEvent(new HashChangeEvent('hashchange')), 0);
    } catch (e) {
      status.textContent = e instanceof ApiError && e.status === 401 ? 'The server needs its API token: enter it above.' : `Could not ${what}: ${(e as Error).message}`;
    }
  };
  out.append(h('h3', {}, `${name}: versions`), status,
    h('button', { type: 'button', disabled: !d.model.champion, onclick: () => act('rollback', { alias: 'champion', reason: 'rolled back from the dashboard' }) }, 'Roll back champion'),
    table(`Versions of ${name}`, [
      { label: 'Version', value: (v: any) => `v${v.version}`, num: true },
      { label: 'Aliases', value: (v: any) => v.aliases.join(', ') || '–' },
      { label: 'Created', value: (v: any) => `${v.created_at.slice(0, 19).replace('T', ' ')} by ${v.created_by}` },
      { label: 'Metrics', value: (v: any) => Object.entries(v.metrics).slice(0, 4).map(([k, x]) => `${k} ${fmt.num(x as number)}`).join(', ') },
      { label: 'Lineage', value: (v: any) => v.lineage.snapshots.map((s: any) => `${s.table}@${s.snapshot}`).join(', ') || '–' },
      { label: 'Action', value: (v: any) => (v.aliases.includes('champion') ? 'champion' : h('button', { type: 'button', 'data-promote': v.version, onclick: () => act('promote', { version: v.version, alias: 'champion', reason: 'promoted from the dashboard' }) }, `Promote v${v.version}`)) },
    ], d.versions, { 'data-table': 'versions' }),
    ...d.versions.slice(0, 3).map((v: any) => h('details', {}, h('summary', {}, `Model card v${v.version}`), h('pre', { class: 'card' }, v.card))),
    table('Alias history', [
      { label: 'When', value: (x: any) => x.at.slice(0, 19).replace('T', ' ') }, { label: 'Alias', value: (x: any) => x.alias }, { label: 'Action', value: (x: any) => x.action },
      { label: 'From', value: (x: any) => (x.from_version ? `v${x.from_version}` : '–') }, { label: 'To', value: (x: any) => (x.to_version ? `v${x.to_version}` : '–') },
      { label: 'By', value: (x: any) => x.by }, { label: 'Reason', value: (x: any) => x.reason ?? '' },
    ], [...d.history].reverse()));
  return out;
}
