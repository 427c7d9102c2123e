import { localApiToken } from '../../local/client';
import type { StackInfo } from '../../local/layout';

/** The one way tests call a local stack's HTTP API: with a token of the scope the route needs (docs/security.md),
 *  from the stack's own issuer, as a caller of a deployed stage gets one from its user pool. */

export type Scope = 'rows' | 'operations';

const tokens = new Map<string, Promise<string | undefined>>();

/** A token of `scope` for the stack, asked for once per stack and scope (tokens are good for an hour). */
export function apiToken(info: StackInfo, scope: Scope): Promise<string | undefined> {
  const key = `${info.auth?.clientsFile ?? info.apiUrl} ${scope}`;
  if (!tokens.has(key)) tokens.set(key, localApiToken(info, scope));
  return tokens.get(key)!;
}

/** The scope a path's route needs: rows for GET /get, operations for the run log's routes. */
export const scopeOf = (path: string): Scope => (/^\/get(\?|$)/.test(path) ? 'rows' : 'operations');

/** GET `path` on the stack's API with a token of the scope its route needs, or of `scope`; `scope: null` sends none. */
export async function apiFetch(
  info: StackInfo,
  path: string,
  options: { scope?: Scope | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const scope = options.scope === undefined ? scopeOf(path) : options.scope;
  const token = scope && (await apiToken(info, scope));
  return fetch(`${info.apiUrl}${path}`, { headers: { ...options.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
}

/** GET as JSON: the status and the parsed body. */
export async function apiJson<T = unknown>(info: StackInfo, path: string, options?: Parameters<typeof apiFetch>[2]): Promise<{ status: number; body: T }> {
  const res = await apiFetch(info, path, options);
  return { status: res.status, body: (await res.json()) as T };
}

/** The operator page at `hash` (#/datasets, #/ingestion/ID…) with an operations token in its fragment, as `landing-etl
 *  token --page` prints it. */
export async function pageUrl(info: StackInfo, hash = ''): Promise<string> {
  const token = await apiToken(info, 'operations');
  if (!token) return `${info.apiUrl}/${hash}`;
  const fragment = hash.replace(/^#/, '');
  return `${info.apiUrl}/#${fragment ? `${fragment}${fragment.includes('?') ? '&' : '?'}` : ''}token=${token}`;
}
