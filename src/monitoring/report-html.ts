// The monitoring report as one self-contained HTML file (no scripts, no CDN): each model's
// drift table (PSI, KS, verdict), prediction drift, live quality, alerts and retraining.
import type { MonitorReport } from './monitor.ts';

const esc = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const num = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : '–');

export function renderMonitorHtml(r: MonitorReport): string {
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tributary monitoring ${esc(r.at)}</title><style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}` +
  `td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child{text-align:left}.critical{background:#f8d0d0}.warning{background:#fdf0c4}.muted{color:#888}</style></head><body>`);
  out.push(`<h1>Monitoring report</h1><p>${esc(r.at)}: ${r.models.length} model(s), ${r.alerts.length} alert(s).</p>`);
  for (const m of r.models) {
    out.push(`<h2>${esc(m.model)} v${m.version} <span class="muted">(${esc(m.kind)})</span></h2>`);
    if (m.skipped) { out.push(`<p class="muted">not monitored: ${esc(m.skipped)}</p>`); continue; }
    out.push(`<p class="muted">${esc(JSON.stringify(m.window))}</p>`);
    out.push('<table><tr><th>feature</th><th>PSI</th><th>KS</th><th>KS p-value</th><th>reference rows</th><th>current rows</th><th>verdict</th></tr>');
    for (const f of [...m.features, ...(m.prediction ? [m.prediction] : [])]) {
      out.push(`<tr class="${f.alerting ? f.verdict : ''}"><td>${esc(f.feature)}</td><td>${num(f.psi)}</td>` +
        `<td>${num(f.ks)}</td><td>${num(f.ks_pvalue)}</td><td>${f.n_ref}</td><td>${f.n_cur}</td>` +
        `<td>${esc(f.verdict)}${f.alerting ? '' : ' (reported only)'}</td></tr>`);
    }
    out.push('</table>');
    if (m.quality.length) {
      out.push('<table><tr><th>live quality</th><th>value</th><th>threshold</th><th>labelled</th><th>breached</th></tr>');
      for (const q of m.quality) out.push(`<tr class="${q.breached ? 'critical' : ''}"><td>${esc(q.metric)}</td>` +
        `<td>${num(q.value)}</td><td>${num(q.threshold)}</td><td>${q.n}</td><td>${q.breached}</td></tr>`);
      out.push('</table>');
    }
    if (m.alerts.length) out.push(`<ul>${m.alerts.map((a) => `<li class="${a.severity}">${esc(a.severity)}: ${esc(a.message)}</li>`).join('')}</ul>`);
    if (m.retrain) {
      out.push(`<p><b>Retraining</b> (${esc(m.retrain.trigger)}): ${esc(m.retrain.decision.reason)}; champion now v${m.retrain.champion_after}.</p>`);
    }
  }
  out.push('</body></html>');
  return out.join('\n');
}
