// The page and its filters live in the URL's hash (#/sales?from=2011-01&country=France), so a
// view can be shared and reloaded; changing a filter replaces the URL and re-renders the page.
export interface Route { page: string; params: Record<string, string> }

export function currentRoute(): Route {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(2) : '';
  const [path, query] = raw.split('?', 2) as [string, string | undefined];
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query ?? '')) if (v !== '') params[k] = v;
  return { page: path || 'overview', params };
}

export function href(page: string, params: Record<string, string | undefined> = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') qs.set(k, v);
  return `#/${page}${qs.size ? `?${qs}` : ''}`;
}

/** Sets some of the current page's parameters (undefined removes one) and re-renders. */
export function setParams(changes: Record<string, string | undefined>): void {
  const r = currentRoute();
  const next = { ...r.params, ...changes };
  location.hash = href(r.page, next);
}
