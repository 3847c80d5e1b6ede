// Every number the dashboard shows comes from the server's documented /v1 endpoints (see
// /docs): this is the one place that fetches them. Relative URLs only: same origin, nothing remote.
export class ApiError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export async function get<T = any>(path: string, params: Record<string, string | undefined> = {}): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') qs.set(k, v);
  const url = qs.size ? `${path}?${qs}` : path;
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.message ?? `${res.status} ${res.statusText}`);
  return body as T;
}

export async function post<T = any>(path: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const out = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, out.message ?? `${res.status} ${res.statusText}`);
  return out as T;
}

/** GET that answers null on 404 (an endpoint another part of the product has not added yet). */
export async function getOptional<T = any>(path: string): Promise<T | null> {
  try { return await get<T>(path); } catch (e) { if (e instanceof ApiError && e.status === 404) return null; throw e; }
}
