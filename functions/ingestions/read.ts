import { z } from 'zod';
import { ingestionView, summaryView, type IngestionView, type SummaryView } from '../shared/ingestion-view';
import { INGESTION_STATUSES, InvalidCursor, type RunLog } from '../shared/run-log';

export class BadRequest extends Error {
  override name = 'BadRequest';
}
export class NotFound extends Error {
  override name = 'NotFound';
}

const idSchema = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'ingestion id must be 1–80 characters of A-Z a-z 0-9 - _');
const listSchema = z
  .object({
    dataset: z.string().min(1, 'query parameter "dataset" must not be empty').optional(),
    object: z.string().regex(/^s3:\/\/[^/]+\/.+/, 'query parameter "object" must be an s3://bucket/key URI').optional(),
    status: z.enum(INGESTION_STATUSES, { error: `query parameter "status" must be one of ${INGESTION_STATUSES.join(', ')}` }).optional(),
    limit: z.coerce
      .number({ error: 'query parameter "limit" must be a number' })
      .int('query parameter "limit" must be a whole number')
      .min(1, 'query parameter "limit" must be 1–100')
      .max(100, 'query parameter "limit" must be 1–100')
      .default(20),
    cursor: z.string().min(1).optional(),
  })
  .refine((q) => Boolean(q.dataset) !== Boolean(q.object), { message: 'give exactly one of the query parameters "dataset" and "object"' });

const firstIssue = (error: z.ZodError) => error.issues[0]!.message;

/** The run-log reads behind GET /ingestions: one ingestion by id, or the recent ones of a dataset or of one source
 *  object (newest first, paged, optionally by status). */
export async function readIngestions(
  runLog: RunLog,
  id: string | undefined,
  query: Record<string, string | undefined>,
): Promise<IngestionView | { items: SummaryView[]; nextCursor: string | null }> {
  if (id !== undefined) {
    const parsed = idSchema.safeParse(id);
    if (!parsed.success) throw new BadRequest(firstIssue(parsed.error));
    const record = await runLog.get(parsed.data);
    if (!record) throw new NotFound(`no ingestion ${parsed.data}`);
    return ingestionView(record);
  }
  const parsed = listSchema.safeParse(query);
  if (!parsed.success) throw new BadRequest(firstIssue(parsed.error));
  const q = parsed.data;
  try {
    const opts = { limit: q.limit, status: q.status, cursor: q.cursor };
    const page = q.object ? await runLog.recentOfObject(q.object, opts) : await runLog.recent(q.dataset!, opts);
    return { items: page.items.map(summaryView), nextCursor: page.nextCursor };
  } catch (e) {
    if (e instanceof InvalidCursor) throw new BadRequest(e.message);
    throw e;
  }
}
