// Music: acceptance rate and hours listened per week over time, skip rate by genre and by hour,
// genre transitions, top tracks, and a user lookup with their "Recommended for you" playlist
// (with reasons) and recent listening.
import { ApiError, get } from '../api.ts';
import { draw, PALETTE } from '../charts.ts';
import { setParams } from '../route.ts';
import { chartBox, empty, fmt, h, section, table } from '../ui.ts';
import { filterValues } from '../filters.ts';

export async function musicPage(root: HTMLElement, params: Record<string, string>): Promise<void> {
  // the listeners' countries are their own (ISO codes), not the sales' country names: a filter of its own
  const [d, fv] = await Promise.all([get('/v1/dashboard/music', { from: params.from, to: params.to, country: params.listener_country }), filterValues()]);
  const months = fv.music_months;
  const sel = (name: 'from' | 'to' | 'listener_country', label: string, values: string[]) => h('div', { class: 'field' }, h('label', { for: `m-${name}` }, label),
    h('select', { id: `m-${name}`, onchange: (e: Event) => setParams({ [name]: (e.target as HTMLSelectElement).value || undefined }) },
      h('option', { value: '' }, 'All'), ...values.map((m) => h('option', { value: m, selected: params[name] === m }, m))));
  if (months.length) {
    root.append(h('form', { class: 'filters', role: 'search', 'aria-label': 'Filters', onsubmit: (e: Event) => e.preventDefault() },
      sel('from', 'From', months), sel('to', 'To', months), sel('listener_country', 'Listener country', fv.music_countries)));
  }
  root.append(await userLookup(params));
  if (d.hint) { root.append(empty(d.hint)); return; }
  const o = d.overview, draws: Promise<unknown>[] = [];
  const weeks = o.trend.map((t: any) => t.week);
  const timeBox = chartBox('Hours listened and recommendation acceptance rate by week', 'chart wide');
  root.append(section('Listening and acceptance over time', d.acceptance_hint ? empty(d.acceptance_hint) : null, timeBox));
  draws.push(draw(timeBox, {
    tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 60, right: 60, top: 36, bottom: 30 },
    xAxis: { type: 'category', data: weeks },
    yAxis: [{ type: 'value', name: 'hours' }, { type: 'value', name: 'acceptance', max: 1, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } }],
    series: [
      { type: 'bar', name: 'hours listened', data: o.trend.map((t: any) => t.hours), itemStyle: { color: '#93b4dc' } },
      { type: 'line', name: 'acceptance rate', yAxisIndex: 1, data: o.trend.map((t: any) => t.acceptance_rate), connectNulls: true, itemStyle: { color: PALETTE[1] } },
    ],
  }));
  const genreBox = chartBox('Skip rate by genre'), hourBox = chartBox('Skip rate by hour of day');
  root.append(h('div', { class: 'two' }, section('Skip rate by genre', genreBox), section('Skip rate by hour', hourBox)));
  const genres = [...d.skip_by_genre].reverse();
  draws.push(draw(genreBox, {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmt.pct(v) }, grid: { left: 90, right: 20, top: 10, bottom: 30 },
    xAxis: { type: 'value', axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } }, yAxis: { type: 'category', data: genres.map((g: any) => g.genre) },
    series: [{ type: 'bar', name: 'skip rate', data: genres.map((g: any) => g.skip_rate) }],
  }));
  draws.push(draw(hourBox, {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmt.pct(v) }, grid: { left: 50, right: 20, top: 10, bottom: 30 },
    xAxis: { type: 'category', data: d.skip_by_hour.map((x: any) => String(x.hour)), name: 'hour (UTC)' },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
    series: [{ type: 'line', name: 'skip rate', data: d.skip_by_hour.map((x: any) => x.skip_rate), itemStyle: { color: PALETTE[2] } }],
  }));
  const gs = [...new Set(d.transitions.flatMap((t: any) => [t.prev_genre, t.genre]))].sort() as string[];
  const tBox = chartBox('Genre transitions: plays of a genre right after another, coloured by skip rate', 'chart tall');
  root.append(section('Genre transitions', h('p', { class: 'note' }, 'Within a listening session (30 minutes): the previous track\'s genre (rows) then this one\'s (columns), coloured by how often the second was skipped.'), tBox));
  draws.push(draw(tBox, {
    tooltip: { formatter: (p: any) => `${gs[p.value[1]]} → ${gs[p.value[0]]}<br>${fmt.int(p.value[3])} plays, skip rate ${fmt.pct(p.value[2])}` },
    grid: { left: 100, right: 20, top: 10, bottom: 80 },
    xAxis: { type: 'category', data: gs, axisLabel: { rotate: 40 }, name: 'then' }, yAxis: { type: 'category', data: gs, name: 'first' },
    visualMap: { min: 0, max: 1, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, dimension: 2, inRange: { color: ['#f0f9ff', '#1e3a8a'] }, text: ['skipped', 'kept'] },
    series: [{ type: 'heatmap', name: 'skip rate', data: d.transitions.map((t: any) => [gs.indexOf(t.genre), gs.indexOf(t.prev_genre), t.skip_rate, t.plays]) }],
  }));
  const commonest = [...d.transitions].sort((a: any, b: any) => b.plays - a.plays || a.prev_genre.localeCompare(b.prev_genre) || a.genre.localeCompare(b.genre)).slice(0, 10);
  tBox.after(table('Most frequent genre transitions', [
    { label: 'First', value: (t: any) => t.prev_genre }, { label: 'Then', value: (t: any) => t.genre },
    { label: 'Plays', value: (t: any) => fmt.int(t.plays), num: true }, { label: 'Skip rate', value: (t: any) => fmt.pct(t.skip_rate), num: true },
  ], commonest, { 'data-table': 'transitions' }));
  root.append(section('Top tracks', table('Most played tracks', [
    { label: 'Track', value: (t: any) => t.title ?? t.track_id }, { label: 'Artist', value: (t: any) => t.artist ?? '–' }, { label: 'Genre', value: (t: any) => t.genre ?? '–' },
    { label: 'Plays', value: (t: any) => fmt.int(t.plays), num: true }, { label: 'Skip rate', value: (t: any) => fmt.pct(t.skip_rate), num: true },
  ], d.top_tracks, { 'data-table': 'top-tracks' })));
  await Promise.all(draws);
}

async function userLookup(params: Record<string, string>): Promise<HTMLElement> {
  const results = h('ul', { class: 'results', 'aria-live': 'polite', id: 'user-results' });
  const input = h('input', { id: 'user-q', type: 'search', autocomplete: 'off', placeholder: 'e.g. u42', value: params.user ?? '' });
  const search = async () => {
    const r = await get('/v1/dashboard/users', { q: input.value.trim(), limit: '10' });
    results.replaceChildren(...r.users.map((u: any) => h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => setParams({ user: u.user_id }) }, u.user_id),
      ` ${u.name ?? ''} · ${u.country ?? ''} · ${fmt.int(u.plays)} plays`)));
    if (!r.users.length) results.append(h('li', {}, r.hint ?? 'no user id starts with that'));
  };
  const out = section('User lookup', h('form', { class: 'search', role: 'search', 'aria-label': 'User lookup', onsubmit: (e: Event) => { e.preventDefault(); void search(); } },
    h('label', { for: 'user-q' }, 'User id'), input, h('button', { type: 'submit' }, 'Look up')), results);
  if (params.user) {
    try {
      const u = await get(`/v1/dashboard/users/${encodeURIComponent(params.user)}`);
      out.append(h('div', { class: 'two', 'data-user': u.user.user_id },
        h('div', {}, h('h3', {}, `Recommended for you: ${u.user.name ?? u.user.user_id}`),
          u.playlist_hint ? empty(u.playlist_hint) : table(`Playlist of ${u.user.user_id}`, [
            { label: '#', value: (t: any) => t.rank, num: true }, { label: 'Track', value: (t: any) => t.title ?? t.track_id },
            { label: 'Artist', value: (t: any) => t.artist ?? '–' }, { label: 'Genre', value: (t: any) => t.genre ?? '–' }, { label: 'Why', value: (t: any) => t.reason },
          ], u.playlist, { 'data-table': 'playlist' })),
        h('div', {}, h('h3', {}, 'Recent listening'), table(`Recent plays of ${u.user.user_id}`, [
          { label: 'When (UTC)', value: (p: any) => p.ts.replace('T', ' ').replace('Z', '') }, { label: 'Track', value: (p: any) => p.title ?? p.track_id },
          { label: 'Genre', value: (p: any) => p.genre ?? '–' }, { label: 'Outcome', value: (p: any) => (p.skipped ? 'skipped' : p.completed ? 'completed' : 'played') },
        ], u.recent, { 'data-table': 'recent' }))));
    } catch (e) {
      out.append(h('p', { class: 'error', role: 'alert' }, e instanceof ApiError && e.status === 404 ? e.message : `Could not load the user: ${(e as Error).message}`));
    }
  }
  return out;
}
