import * as z from 'zod/mini';
import { BadRequestError, InvalidCursorError, NotFoundError } from '../shared/errors';
import { ingestionView, summaryView, type IngestionView, type SummaryView } from '../shared/ingestion-view';
import type { ReplayLog } from '../shared/replay';
import { INGESTION_STATUSES, type RunLog } from '../shared/run-log';

const idSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,80}$/, 'ingestion id must be 1–80 characters of A-Z a-z 0-9 - _'));
const limitMessage = 'query parameter "limit" must be 1–100';
// A dataset is the first folder of an S3 key (at most 1,024 bytes); an index partition key is at most 2,048 bytes, and
// a longer one would come back from DynamoDB as a ValidationException, a 500, instead of this 400.
const MAX_FOLDER_BYTES = 1024;
const MAX_KEY_BYTES = 2048;
const fitsKey = (bytes: number) => (value: string) => Buffer.byteLength(value, 'utf8') <= bytes;
const listSchema = z
  .object({
    dataset: z.optional(
      z.string().check(
        z.minLength(1, 'query parameter "dataset" must not be empty'),
        z.refine(fitsKey(MAX_FOLDER_BYTES), `query parameter "dataset" must be at most ${MAX_FOLDER_BYTES} bytes`),
      ),
    ),
    object: z.optional(
      z.string().check(
        z.regex(/^s3:\/\/[^/]+\/.+/, 'query parameter "object" must be an s3://bucket/key URI'),
        z.refine(fitsKey(MAX_KEY_BYTES), `query parameter "object" must be at most ${MAX_KEY_BYTES} bytes`),
      ),
    ),
    status: z.optional(z.enum(INGESTION_STATUSES, { error: `query parameter "status" must be one of ${INGESTION_STATUSES.join(', ')}` })),
    limit: z._default(
      z.coerce
        .number({ error: 'query parameter "limit" must be a number' })
        .check(z.refine(Number.isInteger, 'query parameter "limit" must be a whole number'), z.minimum(1, limitMessage), z.maximum(100, limitMessage)),
      20,
    ),
    cursor: z.optional(z.string().check(z.minLength(1))),
  })
  .check(z.refine((q) => Boolean(q.dataset) !== Boolean(q.object), 'give exactly one of the query parameters "dataset" and "object"'));

const badRequest = (error: z.core.$ZodError) => new BadRequestError('bad_request', error.issues[0]!.message);

/** A valid ingestion id from a path, or a 400 naming the rule. */
export function ingestionIdOf(id: string): string {
  const parsed = idSchema.safeParse(id);
  if (!parsed.success) throw badRequest(parsed.error);
  return parsed.data;
}

/** The run-log reads behind GET /ingestions: one ingestion by id (with the replay that started it, if one did), or
 *  the recent ones of a dataset or of one source object (newest first, paged, optionally by status). */
export async function readIngestions(
  runLog: RunLog,
  id: string | undefined,
  query: Record<string, string | undefined>,
  replays?: Pick<ReplayLog, 'get'>,
): Promise<IngestionView | { items: SummaryView[]; nextCursor: string | null }> {
  if (id !== undefined) {
    const valid = ingestionIdOf(id);
    const record = await runLog.get(valid);
    if (!record) throw new NotFoundError(`no ingestion ${valid}`);
    const { dataset, replayId } = record.summary;
    return ingestionView(record, replayId && replays ? await replays.get(dataset, replayId) : undefined);
  }
  const parsed = listSchema.safeParse(query);
  if (!parsed.success) throw badRequest(parsed.error);
  const q = parsed.data;
  try {
    const opts = { limit: q.limit, status: q.status, cursor: q.cursor };
    const page = q.object ? await runLog.recentOfObject(q.object, opts) : await runLog.recent(q.dataset!, opts);
    return { items: page.items.map(summaryView), nextCursor: page.nextCursor };
  } catch (e) {
    if (e instanceof InvalidCursorError) throw new BadRequestError('bad_request', `query parameter "cursor" ${e.message}`);
    throw e;
  }
}
