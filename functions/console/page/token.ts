/// <reference lib="dom" />
/** The page's API token. It arrives in the address's fragment, which a browser never sends to a server (so it is in
 *  no request line, access log or Referer), as `#token=T` or after a view's address (`#/ingestions?dataset=x&token=T`);
 *  the page moves it to the tab's sessionStorage and takes it out of the address and the history at once. */

const KEY = 'landing-etl.token';

/** The fragment without its token, and the token; the fragment is returned as it is when it has none. */
export function takeToken(hash: string): { token?: string; hash: string } {
  const fragment = hash.replace(/^#/, '');
  const q = fragment.indexOf('?');
  const [path, query] = fragment.startsWith('token=') ? ['', fragment] : q < 0 ? [fragment, ''] : [fragment.slice(0, q), fragment.slice(q + 1)];
  const params = new URLSearchParams(query);
  const token = params.get('token');
  if (!token) return { hash };
  params.delete('token');
  const rest = params.toString();
  return { token, hash: path || rest ? `#${path}${rest ? `?${rest}` : ''}` : '' };
}

/** Keeps a token the address brings and removes it from the address (and from the history entry). */
export function adoptToken(): void {
  const { token, hash } = takeToken(location.hash);
  if (!token) return;
  sessionStorage.setItem(KEY, token);
  history.replaceState(history.state, '', `${location.pathname}${location.search}${hash}`);
}

export const currentToken = (): string | null => sessionStorage.getItem(KEY);
