import { DeleteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { writtenIf } from './run-log';

/** A backlog is the ingestions that had to wait for a slot (QUEUED) while files came faster than they could run: a
 *  backfill, a replay of a date range. Its runs are announced as one summary when the last of them ends, not one
 *  message each: a success is only counted; a failure is announced at once only if it is the first of its kind
 *  (stage and error) in the backlog, so a systematic failure pages once and is not repeated 365 times.
 *
 *  One run-log item, pk ADMISSION, sk BACKLOG: `waiting` counts the ingestions that joined, `ended` those that ended,
 *  `succeeded` and `failed` how, `kinds` the failure kinds seen, `datasets` the datasets. The run that brings
 *  `ended` to `waiting` closes it (a conditional delete, which a new joiner in between defeats). */
const KEY = { pk: 'ADMISSION', sk: 'BACKLOG' };

export interface BacklogSummary {
  ingestions: number;
  succeeded: number;
  failed: number;
  failureKinds: string[];
  datasets: string[];
  since: string;
}

export class Backlog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** An ingestion of `dataset` started to wait. */
  async join(dataset: string, now: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: KEY,
        UpdateExpression: 'ADD waiting :one, datasets :dataset SET since = if_not_exists(since, :now)',
        ExpressionAttributeValues: { ':one': 1, ':dataset': new Set([dataset]), ':now': now },
      }),
    );
  }

  /** A run of the backlog ended. Returns whether to announce it on its own (a failure of a new kind), and the
   *  backlog's summary when it was the last. */
  async ended(outcome: { failed: boolean; kind: string }): Promise<{ announce: boolean; summary?: BacklogSummary }> {
    let before: Record<string, unknown> = {};
    const counted = await writtenIf(
      this.doc
        .send(
          new UpdateCommand({
            TableName: this.table,
            Key: KEY,
            UpdateExpression: outcome.failed ? 'ADD ended :one, failed :one, kinds :kind' : 'ADD ended :one, succeeded :one',
            // A run whose backlog has closed already (its end announced twice) counts in no later one.
            ConditionExpression: 'attribute_exists(waiting)',
            ExpressionAttributeValues: { ':one': 1, ...(outcome.failed ? { ':kind': new Set([outcome.kind]) } : {}) },
            ReturnValues: 'ALL_OLD',
          }),
        )
        .then((r) => (before = r.Attributes ?? {})),
    );
    if (!counted) return { announce: outcome.failed };
    const seen = (before.kinds as Set<string> | undefined) ?? new Set<string>();
    const announce = outcome.failed && !seen.has(outcome.kind);
    const waiting = Number(before.waiting ?? 0);
    const ended = Number(before.ended ?? 0) + 1;
    if (ended < waiting) return { announce };
    const closed = await writtenIf(
      this.doc.send(new DeleteCommand({ TableName: this.table, Key: KEY, ConditionExpression: 'waiting = :n AND ended = :n', ExpressionAttributeValues: { ':n': ended } })),
    );
    if (!closed) return { announce };
    const kinds = outcome.failed ? new Set([...seen, outcome.kind]) : seen;
    return {
      announce,
      summary: {
        ingestions: ended,
        succeeded: Number(before.succeeded ?? 0) + (outcome.failed ? 0 : 1),
        failed: Number(before.failed ?? 0) + (outcome.failed ? 1 : 0),
        failureKinds: [...kinds].sort(),
        datasets: [...((before.datasets as Set<string> | undefined) ?? [])].sort(),
        since: String(before.since ?? ''),
      },
    };
  }
}
