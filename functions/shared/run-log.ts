import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { decodeCursor, encodeCursor } from './cursor';
import type { StageCost } from './job-cost';
import { InvalidCursorError, RetryConflictError } from './errors';

/** The run log is one DynamoDB table. Per ingestion, under the partition key ING#<id>: a SUMMARY item, one
 *  STAGE#<name> item per stage of the current attempt (the state machine writes them, the Glue jobs add their
 *  metrics) and, once an ingestion is retried, one ATTEMPT#<n> snapshot per earlier attempt. Two indexes answer
 *  "recent ingestions of a dataset" and "ingestions of a source object"; only SUMMARY items carry their keys. */
export const STAGES = ['transform', 'test', 'load'] as const;
export type Stage = (typeof STAGES)[number];
export const INGESTION_STATUSES = ['RECEIVED', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'REJECTED'] as const;
/** The statuses of an ingestion not yet ended. */
export const IN_FLIGHT_STATUSES: readonly IngestionStatus[] = ['RECEIVED', 'QUEUED', 'RUNNING'];
export type IngestionStatus = (typeof INGESTION_STATUSES)[number];

export const RUN_LOG_INDEXES = { byDataset: 'byDataset', byObject: 'byObject' } as const;

const text = () => z.optional(z.string());

export const stageSchema = z.object({
  stage: z.enum(STAGES),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED']),
  attempt: z._default(z.int().check(z.positive()), 1),
  startedAt: text(),
  endedAt: text(),
  glueRunId: text(),
  /** The job the run belongs to, recorded with its id as the run starts, so whoever ends the execution can stop it. */
  glueJobName: text(),
  /** Glue's ExecutionTime of the stage's job run. */
  jobSeconds: z.optional(z.number()),
  /** The job run's DPU-seconds and its cost at list price (functions/shared/job-cost.ts). */
  dpuSeconds: z.optional(z.number()),
  costUsd: z.optional(z.number()),
  /** Links to the job run's logs: CloudWatch on AWS, the run's log file locally. */
  logs: z.optional(z.object({ output: z.string(), error: z.string() })),
  metrics: z.optional(z.record(z.string(), z.unknown())),
  error: text(),
  cause: text(),
});
export type StageRecord = z.infer<typeof stageSchema>;

export const summarySchema = z.object({
  ingestionId: z.string(),
  /** The same id under the attribute name dashboards of this kind of pipeline read. */
  ingestedID: z.string(),
  dataset: z.string(),
  businessDate: z.string(),
  sourceUri: z.string(),
  sourceVersion: text(),
  status: z.enum(INGESTION_STATUSES),
  /** Where the ingestion is or stopped: RECEIVED, TRANSFORM, TEST, LOAD, DONE or REJECTED. */
  state: z.string(),
  /** The stage running or halted at (lower case, as in STAGE#<stage>). */
  stage: z.optional(z.enum(STAGES)),
  ingestedTable: text(),
  attempt: z.int().check(z.positive()),
  receivedAt: z.string(),
  updatedAt: z.string(),
  startedAt: text(),
  endedAt: text(),
  /** When it first had to wait for a slot (admission control): it is part of a backlog. */
  queuedAt: text(),
  /** A replay's ingestion: the ingestion it re-runs and the replay (functions/shared/replay.ts) that started it. */
  replayOf: text(),
  replayId: text(),
  executionArn: text(),
  /** The state machine input, kept so a retry runs exactly the same ingestion again. */
  executionInput: text(),
  /** Deliveries of the same S3 event after the first (S3 delivers at least once). */
  duplicates: z.optional(z.int().check(z.nonnegative())),
  /** Row counts of the current attempt, copied from its stages by the Glue jobs (landing_etl/runlog.py) so a list
   *  of runs reads no stage items: source rows in, accepted / rejected / duplicate rows at test (`duplicates` counts S3 deliveries), rows loaded. */
  rowsIn: z.optional(z.number()),
  accepted: z.optional(z.number()),
  rejected: z.optional(z.number()),
  duplicateRows: z.optional(z.number()),
  rowsLoaded: z.optional(z.number()),
  /** Totals of every Glue job run of the ingestion, all attempts included. */
  dpuSeconds: z.optional(z.number()),
  costUsd: z.optional(z.number()),
  error: text(),
  cause: text(),
});
export type IngestionSummary = z.infer<typeof summarySchema>;

const attemptSchema = z.extend(
  z.pick(summarySchema, { attempt: true, status: true, state: true, stage: true, startedAt: true, endedAt: true, executionArn: true, error: true, cause: true }),
  { stages: z.array(stageSchema) },
);
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

export interface PageOptions {
  limit: number;
  status?: IngestionStatus | undefined;
  cursor?: string | undefined;
}

export const summaryKey = (id: string) => ({ pk: `ING#${id}`, sk: 'SUMMARY' });
const attemptKey = (id: string, attempt: number) => ({ pk: `ING#${id}`, sk: `ATTEMPT#${String(attempt).padStart(3, '0')}` });

/** The conditions of the run log's writes, named for what they guard. */
const CONDITION = {
  /** No summary yet: the first delivery of an S3 event creates the ingestion, a redelivery finds it. */
  newIngestion: 'attribute_not_exists(pk)',
  ingestionExists: 'attribute_exists(pk)',
  /** Only the first delivery that started the execution records it. */
  executionNotYetRecorded: 'attribute_exists(pk) AND attribute_not_exists(executionArn)',
  /** A retry claims attempt n+1 only while attempt n is still the FAILED one. */
  stillFailedAtAttempt: '#status = :failed AND attempt = :current',
  /** Releasing a claim undoes only that claim, not a retry that started meanwhile. */
  retryClaimedAndNotStarted: '#status = :received AND attempt = :next',
  /** An aborted attempt is marked only if the run did not end or move on meanwhile. */
  attemptStillInFlight: 'attempt = :attempt AND #status IN (:received, :queued, :running)',
} as const;

/** Sends a conditional write: true when it was written, false when its condition did not hold. */
export async function writtenIf(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}

/** A page of one index's partition: the byDataset index for a dataset, byObject for a source object. */
type Scope =
  | { kind: 'dataset'; index: 'byDataset'; keyName: 'datasetKey'; value: string }
  | { kind: 'object'; index: 'byObject'; keyName: 'objectKey'; value: string };
const datasetScope = (dataset: string): Scope => ({ kind: 'dataset', index: RUN_LOG_INDEXES.byDataset, keyName: 'datasetKey', value: dataset });
const objectScope = (sourceUri: string): Scope => ({ kind: 'object', index: RUN_LOG_INDEXES.byObject, keyName: 'objectKey', value: sourceUri });

/** A page cursor, version 1: [pk, sk, partition key, recentKey], the index key to start after. Its partition key (the
 *  dataset or the object) scopes it to the partition it was issued for. */
const CURSOR_VERSION = 1;
const indexKeySchema = z.object({ pk: z.string(), sk: z.string(), recentKey: z.string() });
// The key of the SUMMARY item a page ended at, exactly as written: DynamoDB refuses a start key that is not a valid
// key (an empty or oversized value) with a ValidationException, which must not reach a client as a 500.
const ID = '[A-Za-z0-9_-]{1,80}';
const cursorFields = z.tuple([
  z.string().check(z.regex(new RegExp(`^ING#${ID}$`))),
  z.literal('SUMMARY'),
  z.string().check(z.minLength(1), z.maxLength(1024)),
  z.string().check(z.regex(new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z#${ID}$`))),
]);

function cursorOf(scope: Scope, item: Record<string, unknown>): string {
  const key = indexKeySchema.parse(item);
  return encodeCursor(CURSOR_VERSION, [key.pk, key.sk, z.string().parse(item[scope.keyName]), key.recentKey]);
}

function startKey(cursor: string, scope: Scope) {
  const [pk, sk, issuedFor, recentKey] = decodeCursor(cursor, CURSOR_VERSION, cursorFields);
  // The index key of an item: its sort key ends with the ingestion id its table key names.
  if (!recentKey.endsWith(`#${pk.slice('ING#'.length)}`)) throw new InvalidCursorError('is not one this API issued');
  if (issuedFor !== scope.value) throw new InvalidCursorError(`belongs to ${scope.kind} "${issuedFor}", not "${scope.value}"`);
  return { pk, sk, recentKey, [scope.keyName]: issuedFor };
}

/** A filtered page reads the index this many items at a time: a status filter applies after DynamoDB's Limit, so
 *  reading only `limit` items would serve short pages where matching runs exist further on. */
const FILTERED_READ = 100;
/** One page reads at most this many times (1,000 runs skipped for a filter); past that it is served short, with a
 *  cursor that goes on where the reads stopped, so one request stays well inside the API's time limit. */
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
    return writtenIf(
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...summaryKey(ingestion.ingestionId),
            ...item,
            datasetKey: ingestion.dataset,
            recentKey: `${ingestion.receivedAt}#${ingestion.ingestionId}`,
            objectKey: ingestion.sourceUri,
          },
          ConditionExpression: CONDITION.newIngestion,
        }),
      ),
    );
  }

  /** The ingestion waits for a slot: QUEUED. True when it has just started to wait (it was RECEIVED). */
  async markQueued(id: string, now: string): Promise<boolean> {
    return writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(id),
          UpdateExpression: 'SET #status = :queued, #state = :queued, updatedAt = :now, queuedAt = :now',
          ConditionExpression: '#status = :received',
          ExpressionAttributeNames: { '#status': 'status', '#state': 'state' },
          ExpressionAttributeValues: { ':queued': 'QUEUED', ':received': 'RECEIVED', ':now': now },
        }),
      ),
    );
  }

  /** Records the execution that runs the ingestion. False when one was recorded already: a concurrent duplicate
   *  delivery whose StartExecution Step Functions answered idempotently. */
  async recordExecution(id: string, executionArn: string): Promise<boolean> {
    return writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(id),
          UpdateExpression: 'SET executionArn = :arn',
          ConditionExpression: CONDITION.executionNotYetRecorded,
          ExpressionAttributeValues: { ':arn': executionArn },
        }),
      ),
    );
  }

  async countDuplicate(id: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: summaryKey(id),
        UpdateExpression: 'ADD duplicates :one',
        ConditionExpression: CONDITION.ingestionExists,
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
  recent(dataset: string, opts: PageOptions): Promise<Page<IngestionSummary>> {
    return this.page(datasetScope(dataset), opts);
  }

  /** The ingestions of one source object (s3://bucket/key), newest first, a page at a time, optionally only those
   *  with one status. */
  recentOfObject(sourceUri: string, opts: PageOptions): Promise<Page<IngestionSummary>> {
    return this.page(objectScope(sourceUri), opts);
  }

  /** One page of an index partition, newest first. With a status, the index is read until the page is full or the
   *  partition ends (or MAX_QUERY_PAGES reads, then a short page with a cursor); nextCursor is null only at the end. */
  private async page(scope: Scope, opts: PageOptions): Promise<Page<IngestionSummary>> {
    const items: IngestionSummary[] = [];
    let start: Record<string, unknown> | undefined = opts.cursor ? startKey(opts.cursor, scope) : undefined;
    for (let reads = 0; reads < MAX_QUERY_PAGES; reads++) {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: scope.index,
          KeyConditionExpression: '#scope = :scope',
          ...(opts.status ? { FilterExpression: '#status = :status' } : {}),
          ExpressionAttributeNames: { '#scope': scope.keyName, ...(opts.status ? { '#status': 'status' } : {}) },
          ExpressionAttributeValues: { ':scope': scope.value, ...(opts.status ? { ':status': opts.status } : {}) },
          ScanIndexForward: false,
          Limit: opts.status ? Math.max(opts.limit, FILTERED_READ) : opts.limit,
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of page.Items ?? []) {
        items.push(summarySchema.parse(raw));
        // A full page ends at this item: the next one starts right after it.
        if (items.length === opts.limit) return { items, nextCursor: cursorOf(scope, raw) };
      }
      start = page.LastEvaluatedKey;
      if (!start) return { items, nextCursor: null };
    }
    return { items, nextCursor: cursorOf(scope, start!) };
  }

  /** Records what a stage's Glue job run cost on its stage item and adds it to the ingestion's totals. Once per run:
   *  a repeated call (an invocation retried) finds the figures of that run already there and adds nothing. */
  async recordStageCost(id: string, stage: Stage, cost: StageCost, attempt?: number): Promise<boolean> {
    const recorded = await writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: summaryKey(id).pk, sk: `STAGE#${stage}` },
          UpdateExpression: 'SET glueRunId = :run, jobSeconds = :seconds, dpuSeconds = :dpu, costUsd = :cost, logs = :logs',
          // Once per run, and only onto the stage item of the run's own attempt.
          ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(costUsd) OR glueRunId <> :run)${attempt === undefined ? '' : ' AND attempt = :attempt'}`,
          ExpressionAttributeValues: {
            ...(attempt === undefined ? {} : { ':attempt': attempt }),
            ':run': cost.glueRunId,
            ':seconds': cost.jobSeconds,
            ':dpu': cost.dpuSeconds,
            ':cost': cost.costUsd,
            ':logs': cost.logs,
          },
        }),
      ),
    );
    if (!recorded) return false;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: summaryKey(id),
        UpdateExpression: 'ADD dpuSeconds :dpu, costUsd :cost',
        ConditionExpression: CONDITION.ingestionExists,
        ExpressionAttributeValues: { ':dpu': cost.dpuSeconds, ':cost': cost.costUsd },
      }),
    );
    return true;
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
    const claimed = await writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(summary.ingestionId),
          UpdateExpression:
            'SET #status = :received, #state = :received, attempt = :next, executionArn = :arn, updatedAt = :now REMOVE stage, startedAt, endedAt, rowsIn, accepted, rejected, duplicateRows, rowsLoaded',
          ConditionExpression: CONDITION.stillFailedAtAttempt,
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
      ),
    );
    if (!claimed) {
      throw new RetryConflictError(`ingestion ${summary.ingestionId} is no longer FAILED at attempt ${summary.attempt}: another retry started it`);
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
        ConditionExpression: CONDITION.retryClaimedAndNotStarted,
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

  /** Marks attempt `attempt` of an ingestion FAILED when its execution ended without recording its end (stopped,
   *  timed out, or failed outside any step; the local stack stopped mid-run). Leaves the ingestion alone if a later
   *  attempt or the run itself moved on. */
  async markAborted(id: string, attempt: number, error: string, cause: string, now: string): Promise<void> {
    const record = await this.get(id);
    if (!record || record.summary.attempt !== attempt || !IN_FLIGHT_STATUSES.includes(record.summary.status)) return;
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
    await writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(id),
          UpdateExpression: 'SET #status = :failed, updatedAt = :now, endedAt = :now, #error = :error, #cause = :cause',
          ConditionExpression: CONDITION.attemptStillInFlight,
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#cause': 'cause' },
          ExpressionAttributeValues: {
            ':failed': 'FAILED',
            ':now': now,
            ':error': error,
            ':cause': cause,
            ':attempt': attempt,
            ':received': 'RECEIVED',
            ':queued': 'QUEUED',
            ':running': 'RUNNING',
          },
        }),
      ),
    );
  }
}
