/// <reference lib="dom" />
import type { IngestionView, SummaryView } from '../../shared/ingestion-view';
import type { DatasetsResponse, QualityReport } from '../view-model';

import { currentToken } from './token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The page has no token, or the API refused it (expired, or not of the operations scope). */
export class TokenError extends Error {
  constructor(readonly problem: 'missing' | 'refused' | 'scope') {
    super(problem === 'missing' ? 'no API token' : problem === 'refused' ? 'the API token is expired or invalid' : 'the API token is not of the operations scope');
  }
}

/** GET on this API, relative to the page (which API Gateway serves at the stage's root), with the page's token. */
async function get<T>(path: string): Promise<T> {
  const token = currentToken();
  if (!token) throw new TokenError('missing');
  const res = await fetch(new URL(path, document.baseURI), { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
  if (res.status === 401) throw new TokenError('refused');
  if (res.status === 403) throw new TokenError('scope');
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok) throw new ApiError(res.status, body.message ?? `${res.status} ${res.statusText}`);
  return body as T;
}

export const datasets = () => get<DatasetsResponse>('datasets');
export const ingestion = (id: string) => get<IngestionView>(`ingestions/${encodeURIComponent(id)}`);
export const report = (id: string) => get<QualityReport>(`ingestions/${encodeURIComponent(id)}/report`);
export function ingestions(q: { dataset: string; status?: string; cursor?: string; limit: number }) {
  const params = new URLSearchParams({ dataset: q.dataset, limit: String(q.limit) });
  if (q.status) params.set('status', q.status);
  if (q.cursor) params.set('cursor', q.cursor);
  return get<{ items: SummaryView[]; nextCursor: string | null }>(`ingestions?${params}`);
}
