/// <reference lib="dom" />
import type { IngestionView, SummaryView } from '../../shared/ingestion-view';
import type { DatasetsResponse, QualityReport } from '../view-model';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GET on this API, relative to the page (which API Gateway serves at the stage's root). */
async function get<T>(path: string): Promise<T> {
  const res = await fetch(new URL(path, document.baseURI), { headers: { accept: 'application/json' } });
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
