import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import { ReplayConflictError } from './errors';
import { RUN_LOG_INDEXES, summarySchema, type IngestionSummary } from './run-log';

/** A replay re-runs the ingestions of a business-date range of one dataset from their landed objects. Each object is
 *  sent to the landing queue as the S3 event record of that object version with a `replay` mark added, so it goes
 *  through the executor exactly as a landed file does (admission, QUEUED, deferral, duplicate delivery) and only its
 *  ingestion id, business date and run-log summary differ.
 *
 *  The replay itself is one run-log item under the dataset's partition, pk DATASET#<dataset>, sk REPLAY#<replayId>
 *  (beside its MISSING entries; it carries no index keys, so GET /ingestions never lists it): who asked, why, the
 *  range, and the ingestions it started. Replay ids begin with the UTC time they were made, so a dataset's replays
 *  sort by when they were asked. */

export const REPLAY_EVENT_SOURCE = 'landing-etl:replay';
/** A REPLAY item lists its ingestions (two ids each, ~150 bytes): this many stay far inside DynamoDB's 400 KB item. */
export const MAX_REPLAY_INGESTIONS = 1000;
export const MAX_REASON_LENGTH = 500;

const ID = /^[A-Za-z0-9_-]{1,80}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
export const replayIdSchema = z.string().check(z.regex(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/, 'a replay id is <UTC time YYYYMMDDTHHMMSSZ>-<8 hex digits>'));

/** What marks a landing-queue record as a replay. */
export const replayMarkSchema = z.object({
  replayId: replayIdSchema,
  /** The ingestion this one re-runs. */
  replayOf: z.string().check(z.regex(ID)),
  /** The replayed ingestion's business date: a key with no date in it took it from its first event's time. */
  businessDate: z.string().check(z.regex(DATE)),
});
export type ReplayMark = z.infer<typeof replayMarkSchema>;

export const newReplayId = (now: Date, random = randomBytes(4).toString('hex')) =>
  `${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z-${random}`;

/** One object version to replay, as S3 describes it. */
export interface ReplayedObject {
  bucket: string;
  key: string;
  versionId?: string | undefined;
  eTag?: string | undefined;
  size: number;
  /** The sequencer of the S3 event that landed this version, when the run log has it: the load orders versions of a
   *  key by it, and an equal sequencer lets the replay replace the rows its original loaded. */
  sequencer?: string | undefined;
}

/** The landing-queue record of a replayed object: S3's event record shape (the key URL-encoded as S3 encodes it,
 *  spaces as '+'), with the replay's mark. */
export function replayRecord(o: ReplayedObject, mark: ReplayMark, now: Date) {
  return {
    eventVersion: '2.1',
    eventSource: REPLAY_EVENT_SOURCE,
    eventTime: now.toISOString(),
    eventName: 'ObjectCreated:Replay',
    s3: {
      bucket: { name: o.bucket },
      object: {
        key: encodeURIComponent(o.key).replace(/%2F/g, '/').replace(/%20/g, '+'),
        size: o.size,
        ...(o.eTag ? { eTag: o.eTag } : {}),
        ...(o.versionId ? { versionId: o.versionId } : {}),
        ...(o.sequencer ? { sequencer: o.sequencer } : {}),
      },
    },
    replay: mark,
  };
}

export const replayKey = (dataset: string, replayId: string) => ({ pk: `DATASET#${dataset}`, sk: `REPLAY#${replayId}` });

export const replaySchema = z.object({
  replayId: replayIdSchema,
  dataset: z.string(),
  from: z.string().check(z.regex(DATE)),
  to: z.string().check(z.regex(DATE)),
  /** `recorded`: the object versions the replayed runs ingested; `latest`: each key's latest version. */
  versions: z.enum(['recorded', 'latest']),
  /** Who asked: the caller's ARN (STS GetCallerIdentity) on AWS, `local:<user>` on the local stack. */
  requestedBy: z.string(),
  reason: z.string().check(z.minLength(1), z.maxLength(MAX_REASON_LENGTH)),
  requestedAt: z.string(),
  ingestions: z.array(z.object({ ingestionId: z.string(), replayOf: z.string() })),
  /** When every message was on the landing queue; absent while (or if) sending did not finish. */
  sentAt: z.optional(z.string()),
});
export type Replay = z.infer<typeof replaySchema>;

export class ReplayLog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Every ingestion of `dataset` whose business date is from `from` to `to`: one Query of the dataset's partition
   *  of the byDataset index, whose sort key is the arrival time, so the dates are a filter on every page. */
  async ingestionsOf(dataset: string, from: string, to: string): Promise<IngestionSummary[]> {
    const items: IngestionSummary[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: RUN_LOG_INDEXES.byDataset,
          KeyConditionExpression: 'datasetKey = :d',
          FilterExpression: 'businessDate BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':d': dataset, ':from': from, ':to': to },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []).map((i) => summarySchema.parse(i)));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Writes the replay before any of its messages is sent, so every replayed ingestion's replayId names a recorded
   *  replay. */
  async record(replay: Replay): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...replayKey(replay.dataset, replay.replayId), ...replaySchema.parse(replay) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') throw new ReplayConflictError(`replay ${replay.replayId} of ${replay.dataset} is already recorded`);
      throw e;
    }
  }

  async markSent(dataset: string, replayId: string, now: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({ TableName: this.table, Key: replayKey(dataset, replayId), UpdateExpression: 'SET sentAt = :now', ExpressionAttributeValues: { ':now': now } }),
    );
  }

  /** A Query of its one key rather than a GetItem: what reads a dataset's partition (the API's role) may read it. */
  async get(dataset: string, replayId: string): Promise<Replay | undefined> {
    const key = replayKey(dataset, replayId);
    const { Items = [] } = await this.doc.send(
      new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk AND sk = :sk', ExpressionAttributeValues: { ':pk': key.pk, ':sk': key.sk }, ConsistentRead: true }),
    );
    return Items[0] ? replaySchema.parse(Items[0]) : undefined;
  }
}
