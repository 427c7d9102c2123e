import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';

/** The run log is one DynamoDB table. Per ingestion, under the partition key ING#<id>: a SUMMARY item, one
 *  STAGE#<name> item per stage of the current attempt (the state machine writes them, the Glue jobs add their
 *  metrics) and, once an ingestion is retried, one ATTEMPT#<n> snapshot per earlier attempt. Two indexes answer
 *  "recent ingestions of a dataset" and "ingestions of a source object"; only SUMMARY items carry their keys. */
export const STAGES = ['transform', 'test', 'load'] as const;
export type Stage = (typeof STAGES)[number];
export const INGESTION_STATUSES = ['RECEIVED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'REJECTED'] as const;
export type IngestionStatus = (typeof INGESTION_STATUSES)[number];

export const RUN_LOG_INDEXES = { byDataset: 'byDataset', byObject: 'byObject' } as const;

const stageSchema = z.object({
  stage: z.enum(STAGES),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED']),
  attempt: z.number().int().positive().default(1),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  glueRunId: z.string().optional(),
  /** Glue's ExecutionTime of the stage's job run. */
  jobSeconds: z.number().optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
});
export type StageRecord = z.infer<typeof stageSchema>;

const summarySchema = z.object({
  ingestionId: z.string(),
  /** The same id under the attribute name dashboards of this kind of pipeline read. */
  ingestedID: z.string(),
  dataset: z.string(),
  businessDate: z.string(),
  sourceUri: z.string(),
  sourceVersion: z.string().optional(),
  status: z.enum(INGESTION_STATUSES),
  /** Where the ingestion is or stopped: RECEIVED, TRANSFORM, TEST, LOAD, DONE or REJECTED. */
  state: z.string(),
  /** The stage running or halted at (lower case, as in STAGE#<stage>). */
  stage: z.enum(STAGES).optional(),
  ingestedTable: z.string().optional(),
  attempt: z.number().int().positive(),
  receivedAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  executionArn: z.string().optional(),
  /** The state machine input, kept so a retry runs exactly the same ingestion again. */
  executionInput: z.string().optional(),
  /** Deliveries of the same S3 event after the first (S3 delivers at least once). */
  duplicates: z.number().int().nonnegative().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
});
export type IngestionSummary = z.infer<typeof summarySchema>;

const attemptSchema = summarySchema
  .pick({ attempt: true, status: true, state: true, stage: true, startedAt: true, endedAt: true, executionArn: true, error: true, cause: true })
  .extend({ stages: z.array(stageSchema) });
export type AttemptRecord = z.infer<typeof attemptSchema>;

export interface IngestionRecord {
  summary: IngestionSummary;
  /** The stages of the current attempt, in pipeline order. */
  stages: StageRecord[];
  /** Earlier attempts, oldest first. */
  attempts: AttemptRecord[];
}

export type NewIngestion = Omit<IngestionSummary, 'ingestedID' | 'updatedAt' | 'attempt' | 'state' | 'duplicates' | 'executionArn'>;

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null when there is none. */
  nextCursor: string | null;
}

export class InvalidCursor extends Error {
  override name = 'InvalidCursor';
}
export class RetryConflict extends Error {
  override name = 'RetryConflict';
}

export const summaryKey = (id: string) => ({ pk: `ING#${id}`, sk: 'SUMMARY' });
const attemptKey = (id: string, attempt: number) => ({ pk: `ING#${id}`, sk: `ATTEMPT#${String(attempt).padStart(3, '0')}` });

// The key of the SUMMARY item a page ended at, exactly as written: DynamoDB refuses a start key that is not a valid
// key (an empty or oversized value) with a ValidationException, which must not reach a client as a 500.
const ID = '[A-Za-z0-9_-]{1,80}';
const cursorSchema = z
  .object({
    pk: z.string().regex(new RegExp(`^ING#${ID}$`)),
    sk: z.literal('SUMMARY'),
    datasetKey: z.string().min(1).max(1024),
    recentKey: z.string().regex(new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z#${ID}$`)),
  })
  .refine((key) => key.recentKey.endsWith(`#${key.pk.slice('ING#'.length)}`));
const keySchema = z.object({ pk: z.string(), sk: z.string(), datasetKey: z.string(), recentKey: z.string() });
const encodeCursor = (item: unknown) => Buffer.from(JSON.stringify(keySchema.parse(item))).toString('base64url');
function decodeCursor(cursor: string, dataset: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursor('cursor is not one this API returned');
  }
  const parsed = cursorSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidCursor('cursor is not one this API returned');
  if (parsed.data.datasetKey !== dataset) throw new InvalidCursor(`cursor belongs to dataset "${parsed.data.datasetKey}", not "${dataset}"`);
  return parsed.data;
}

/** Reads of one page of a filtered query stop after this many DynamoDB pages and return a cursor instead. */
const MAX_QUERY_PAGES = 10;

export class RunLog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Writes the first item of an ingestion, conditionally. Returns false when it already exists (a redelivery). */
  async create(ingestion: NewIngestion): Promise<boolean> {
    const item: IngestionSummary = {
      ...ingestion,
      state: ingestion.status,
      ingestedID: ingestion.ingestionId,
      updatedAt: ingestion.receivedAt,
      attempt: 1,
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...summaryKey(ingestion.ingestionId),
            ...item,
            datasetKey: ingestion.dataset,
            recentKey: `${ingestion.receivedAt}#${ingestion.ingestionId}`,
            objectKey: ingestion.sourceUri,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  /** Records the execution that runs the ingestion. False when one was recorded already: a concurrent duplicate
   *  delivery whose StartExecution Step Functions answered idempotently. */
  async recordExecution(id: string, executionArn: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(id),
          UpdateExpression: 'SET executionArn = :arn',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(executionArn)',
          ExpressionAttributeValues: { ':arn': executionArn },
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async countDuplicate(id: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: summaryKey(id),
        UpdateExpression: 'ADD duplicates :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
  }

  /** The full history of one ingestion. */
  async get(id: string): Promise<IngestionRecord | undefined> {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': summaryKey(id).pk },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const summaryItem = items.find((i) => i.sk === 'SUMMARY');
    if (!summaryItem) return undefined;
    const summary = summarySchema.parse(summaryItem);
    const stages = items
      .filter((i) => String(i.sk).startsWith('STAGE#'))
      .map((i) => stageSchema.parse(i))
      // A stage item left by an earlier attempt that did not reach the stage belongs to that attempt's snapshot.
      .filter((s) => s.attempt === summary.attempt)
      .sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage));
    const attempts = items.filter((i) => String(i.sk).startsWith('ATTEMPT#')).map((i) => attemptSchema.parse(i));
    return { summary, stages, attempts };
  }

  async getSummary(id: string): Promise<IngestionSummary | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: summaryKey(id), ConsistentRead: true }));
    return Item ? summarySchema.parse(Item) : undefined;
  }

  /** The ingestions of a source object (s3://bucket/key), newest first, optionally only those received since. */
  async forObject(sourceUri: string, opts: { since?: string; limit?: number } = {}): Promise<IngestionSummary[]> {
    const { Items = [] } = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: RUN_LOG_INDEXES.byObject,
        KeyConditionExpression: opts.since ? 'objectKey = :o AND recentKey >= :since' : 'objectKey = :o',
        ExpressionAttributeValues: { ':o': sourceUri, ...(opts.since ? { ':since': opts.since } : {}) },
        ScanIndexForward: false,
        Limit: opts.limit ?? 100,
      }),
    );
    return Items.map((i) => summarySchema.parse(i));
  }

  /** Recent ingestions of a dataset, newest first, a page at a time, optionally only those with one status. */
  async recent(
    dataset: string,
    opts: { limit: number; status?: IngestionStatus | undefined; cursor?: string | undefined },
  ): Promise<Page<IngestionSummary>> {
    const items: IngestionSummary[] = [];
    let start: Record<string, unknown> | undefined = opts.cursor ? decodeCursor(opts.cursor, dataset) : undefined;
    for (let pages = 0; pages < MAX_QUERY_PAGES; pages++) {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: RUN_LOG_INDEXES.byDataset,
          KeyConditionExpression: 'datasetKey = :d',
          ...(opts.status
            ? { FilterExpression: '#status = :s', ExpressionAttributeNames: { '#status': 'status' } }
            : {}),
          ExpressionAttributeValues: { ':d': dataset, ...(opts.status ? { ':s': opts.status } : {}) },
          ScanIndexForward: false,
          Limit: opts.limit,
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of page.Items ?? []) {
        items.push(summarySchema.parse(raw));
        // A full page ends at this item: the next one starts right after it.
        if (items.length === opts.limit) return { items, nextCursor: encodeCursor(raw) };
      }
      start = page.LastEvaluatedKey;
      if (!start) return { items, nextCursor: null };
    }
    return { items, nextCursor: encodeCursor(start) };
  }

  /** Starts attempt n+1 of a FAILED ingestion: snapshots attempt n, then moves the summary on with a write
   *  conditional on it still being FAILED at attempt n, so of two concurrent retries exactly one wins. The snapshot
   *  comes first and is the same whoever writes it, so a lost race or a crash in between leaves nothing wrong. */
  async claimRetry(record: IngestionRecord, executionArn: string, now: string): Promise<number> {
    const { summary, stages } = record;
    const next = summary.attempt + 1;
    const snapshot: AttemptRecord = attemptSchema.parse({ ...summary, stages });
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { ...attemptKey(summary.ingestionId, summary.attempt), ...snapshot } }),
    );
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(summary.ingestionId),
          UpdateExpression:
            'SET #status = :received, #state = :received, attempt = :next, executionArn = :arn, updatedAt = :now REMOVE stage, startedAt, endedAt',
          ConditionExpression: '#status = :failed AND attempt = :current',
          ExpressionAttributeNames: { '#status': 'status', '#state': 'state' },
          ExpressionAttributeValues: {
            ':received': 'RECEIVED',
            ':failed': 'FAILED',
            ':next': next,
            ':current': summary.attempt,
            ':arn': executionArn,
            ':now': now,
          },
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) {
        throw new RetryConflict(`ingestion ${summary.ingestionId} is no longer FAILED at attempt ${summary.attempt}: another retry started it`);
      }
      throw e;
    }
    return next;
  }

  /** Undoes a claimed retry whose execution could not be started, so the ingestion can be retried again. */
  async releaseRetry(record: IngestionRecord, now: string): Promise<void> {
    const { summary } = record;
    const restore = { stage: summary.stage, startedAt: summary.startedAt, endedAt: summary.endedAt, executionArn: summary.executionArn };
    const present = Object.entries(restore).filter(([, v]) => v !== undefined);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: summaryKey(summary.ingestionId),
        UpdateExpression: `SET #status = :failed, #state = :state, attempt = :current, updatedAt = :now${present.map(([k]) => `, ${k} = :${k}`).join('')}`,
        ConditionExpression: '#status = :received AND attempt = :next',
        ExpressionAttributeNames: { '#status': 'status', '#state': 'state' },
        ExpressionAttributeValues: {
          ':failed': 'FAILED',
          ':received': 'RECEIVED',
          ':state': summary.state,
          ':current': summary.attempt,
          ':next': summary.attempt + 1,
          ':now': now,
          ...Object.fromEntries(present.map(([k, v]) => [`:${k}`, v])),
        },
      }),
    );
  }

  /** Marks attempt `attempt` of an ingestion FAILED when its execution was aborted before it could record an end
   *  (the local stack stopped mid-run). Leaves the ingestion alone if a later attempt or the run itself moved on. */
  async markAborted(id: string, attempt: number, error: string, cause: string, now: string): Promise<void> {
    const record = await this.get(id);
    if (!record || record.summary.attempt !== attempt || !['RECEIVED', 'RUNNING'].includes(record.summary.status)) return;
    for (const s of record.stages.filter((st) => st.status === 'RUNNING')) {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: summaryKey(id).pk, sk: `STAGE#${s.stage}` },
          UpdateExpression: 'SET #status = :failed, endedAt = :now, #error = :error, #cause = :cause',
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#cause': 'cause' },
          ExpressionAttributeValues: { ':failed': 'FAILED', ':now': now, ':error': error, ':cause': cause },
        }),
      );
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(id),
          UpdateExpression: 'SET #status = :failed, updatedAt = :now, endedAt = :now, #error = :error, #cause = :cause',
          ConditionExpression: 'attempt = :attempt AND #status IN (:received, :running)',
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#cause': 'cause' },
          ExpressionAttributeValues: {
            ':failed': 'FAILED',
            ':now': now,
            ':error': error,
            ':cause': cause,
            ':attempt': attempt,
            ':received': 'RECEIVED',
            ':running': 'RUNNING',
          },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
  }
}
