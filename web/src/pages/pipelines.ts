// Pipelines: recent pipeline runs with each step's duration as a timeline (stages, or one child
// run per step), and the events per second arriving at the collector, live (server-sent events).
// The streaming services' requests, errors and latency per minute (from the lake); monitoring
// alerts once the server offers them.
import { get } from '../api.ts';
import { draw, echarts, PALETTE } from '../charts.ts';
import { setParams } from '../route.ts';
import { chartBox, empty, fmt, h, section, table } from '../ui.ts';

export async function pipelinesPage(root: HTMLElement, params: Record<string, string>): Promise<() => void> {
  const [d, caps, st] = await Promise.all([get('/v1/dashboard/pipelines', { limit: '20' }), get('/v1/dashboard/capabilities'), get('/v1/dashboard/streaming')]);
  const draws: Promise<unknown>[] = [];
  const liveBox = chartBox('Events per second arriving at the collector, last minute', 'chart');
  const rateNow = h('p', { class: 'value', 'data-kpi': 'events_per_second', 'aria-live': 'off' }, '–');
  root.append(section('Live: events per second at the collector', h('div', { class: 'live' }, h('div', {}, rateNow, h('p', { class: 'note', id: 'events-total' }, '')), liveBox)));
  const source = new EventSource('/v1/dashboard/events/stream');
  let liveChart: echarts.ECharts | undefined;
  const liveOption = (pts: any[]) => ({
    grid: { left: 50, right: 10, top: 10, bottom: 30 }, tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: pts.map((p) => new Date(p.t).toISOString().slice(11, 19)) }, yAxis: { type: 'value', name: 'events/s', minInterval: 1 },
    series: [{ type: 'line', name: 'accepted', data: pts.map((p) => p.accepted), showSymbol: false, areaStyle: { opacity: 0.15 }, itemStyle: { color: PALETTE[0] } },
      { type: 'line', name: 'rejected', data: pts.map((p) => p.rejected), showSymbol: false, itemStyle: { color: PALETTE[4] } }],
  });
  const first = new Promise<void>((resolve) => {
    source.addEventListener('rate', (e) => {
      const r = JSON.parse((e as MessageEvent).data);
      rateNow.textContent = `${fmt.int(r.per_second)} events/s`;
      document.getElementById('events-total')!.textContent = `${fmt.int(r.accepted_total)} accepted, ${fmt.int(r.rejected_total)} rejected since the server started`;
      if (!liveChart) void draw(liveBox, liveOption(r.last_minute)).then((c) => { liveChart = c; resolve(); });
      else liveChart.setOption(liveOption(r.last_minute));
    });
    source.addEventListener('error', () => resolve());
  });
  draws.push(first);

  const runsSection = section('Recent pipeline runs');
  root.append(runsSection);
  if (d.hint) runsSection.append(empty(d.hint));
  else {
    const chosen = d.runs.find((r: any) => r.id === params.run) ?? d.runs[0];
    runsSection.append(table('Recent runs, newest first', [
      { label: 'Run', value: (r: any) => h('button', { type: 'button', class: 'link', 'aria-pressed': r.id === chosen.id ? 'true' : 'false', onclick: () => setParams({ run: r.id }) }, r.id.slice(0, 8)) },
      { label: 'Pipeline', value: (r: any) => r.pipeline }, { label: 'Status', value: (r: any) => r.status },
      { label: 'Started', value: (r: any) => r.started_at.slice(0, 19).replace('T', ' ') }, { label: 'Steps', value: (r: any) => r.steps.length, num: true },
      { label: 'Duration', value: (r: any) => fmt.ms(r.duration_ms), num: true },
    ], d.runs, { 'data-table': 'pipeline-runs' }));
    const steps = chosen.steps;
    const t0 = Date.parse(chosen.started_at);
    const tlBox = chartBox(`Timeline of the ${chosen.pipeline} run ${chosen.id.slice(0, 8)}: when each step started and how long it took`, 'chart tall');
    runsSection.append(h('h3', {}, `Timeline: ${chosen.pipeline} ${chosen.id.slice(0, 8)}`), steps.length ? tlBox : empty('this run recorded no steps'));
    // a dataflow run's longest chain of dependent steps (its tracked run's tag): the steps the
    // run could not overlap, drawn in their own colour
    const chain = new Set<string>(chosen.tags.longest_chain ? chosen.tags.longest_chain.split(' -> ') : []);
    const chainSeconds = chosen.metrics.longest_chain_seconds;
    if (chain.size && steps.length) {
      runsSection.append(h('p', { class: 'note', 'data-kpi': 'longest_chain' },
        `Longest chain of dependent steps: ${[...chain].join(' → ')}, ${fmt.ms(1000 * (chainSeconds ?? 0))} of the run's ${fmt.ms(chosen.duration_ms)}. ` +
        'Each of them had to wait for the one before; the run takes at least as long as they add up to, however many cores.'));
    }
    if (steps.length) {
      const names = steps.map((s: any) => s.name).reverse();
      const rev = [...steps].reverse();
      draws.push(draw(tlBox, {
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: (ps: any[]) => { const s = rev[ps[0].dataIndex]; return `${s.name} (${s.source.replace('_', ' ')}${chain.has(s.name) ? ', on the longest chain' : ''})<br>starts at +${fmt.ms(Date.parse(s.started_at) - t0)}, takes ${fmt.ms(s.duration_ms)}`; } },
        grid: { left: 110, right: 20, top: 10, bottom: 40 },
        xAxis: { type: 'value', name: 'ms since the run started', nameLocation: 'middle', nameGap: 26 }, yAxis: { type: 'category', data: names },
        series: [
          { type: 'bar', stack: 't', name: 'offset', itemStyle: { color: 'transparent' }, emphasis: { disabled: true }, data: rev.map((s: any) => Math.max(0, Date.parse(s.started_at) - t0)) },
          { type: 'bar', stack: 't', name: 'duration', data: rev.map((s: any) => ({ value: s.duration_ms, itemStyle: { color: s.status === 'failed' ? PALETTE[4] : chain.has(s.name) ? PALETTE[1] : PALETTE[0] } })) },
        ],
      }));
    }
  }

  const streaming = section('Streaming services');
  root.append(streaming);
  if (st.hint) streaming.append(empty(st.hint));
  else {
    streaming.append(h('p', { class: 'note', 'data-kpi': 'stream_records' },
      `${fmt.int(st.records.generated)} records generated, ${fmt.int(st.records.normalized)} normalized, ${fmt.int(st.records.predictions)} predictions asked for.`));
    if (st.minutes.length) {
      const sBox = chartBox('Prediction requests per minute with errors, and their latency (p50, p99)', 'chart');
      streaming.append(sBox);
      const m = st.minutes;
      draws.push(draw(sBox, {
        tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 60, right: 60, top: 36, bottom: 30 },
        xAxis: { type: 'category', data: m.map((x: any) => x.minute.slice(11, 16)) },
        yAxis: [{ type: 'value', name: 'requests' }, { type: 'value', name: 'ms' }],
        series: [
          { type: 'bar', stack: 'r', name: 'ok', data: m.map((x: any) => x.ok), itemStyle: { color: PALETTE[2] } },
          { type: 'bar', stack: 'r', name: 'errors', data: m.map((x: any) => x.errors), itemStyle: { color: PALETTE[4] } },
          { type: 'line', yAxisIndex: 1, name: 'latency p50', data: m.map((x: any) => x.latency_p50_ms), itemStyle: { color: PALETTE[0] } },
          { type: 'line', yAxisIndex: 1, name: 'latency p99', data: m.map((x: any) => x.latency_p99_ms), itemStyle: { color: PALETTE[1] } },
        ],
      }));
    }
  }

  const ops = section('Monitoring alerts');
  root.append(ops);
  if (caps.monitoring_alerts) {
    const a = await get('/v1/monitoring/alerts');
    const alerts = (a.alerts ?? []) as any[];
    ops.append(alerts.length ? table('Monitoring alerts', [
      { label: 'When', value: (x: any) => String(x.at ?? x.created_at ?? x.ts ?? '') }, { label: 'Model', value: (x: any) => String(x.model ?? '') },
      { label: 'Alert', value: (x: any) => String(x.kind ?? x.type ?? x.metric ?? '') }, { label: 'Detail', value: (x: any) => String(x.message ?? x.reason ?? '') },
    ], alerts) : h('p', { class: 'note' }, 'No monitoring alerts.'));
  } else ops.append(empty('no monitoring alerts on this server yet: its panel appears with the monitoring API (`GET /v1/monitoring/alerts`)'));

  await Promise.all(draws);
  return () => source.close();
}
