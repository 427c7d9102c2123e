import { BatchGetCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { summaryKey, writtenIf } from './run-log';

/** Admission control: at most `slots` ingestions run at once, so a backfill waits in the landing queue (QUEUED in the
 *  run log) instead of meeting Glue's concurrency quota. The slots are one run-log item, pk ADMISSION, sk SLOTS,
 *  whose string set `holders` names the ingestions running: taking a slot adds to the set on the condition that it
 *  is not full, and an execution's end takes its ingestion out. */
const SLOTS_KEY = { pk: 'ADMISSION', sk: 'SLOTS' };
const ENDED = new Set(['SUCCEEDED', 'FAILED', 'REJECTED']);

export class Admission {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Takes one of `slots` slots for the ingestion: true when it holds one (already or now). When all are taken, the
   *  holders whose ingestion has ended (a release that was lost) give theirs back first. */
  async acquire(ingestionId: string, slots: number): Promise<boolean> {
    if (await this.tryAdd(ingestionId, slots)) return true;
    const stale = await this.endedHolders();
    if (stale.length === 0) return false;
    await this.release(...stale);
    return this.tryAdd(ingestionId, slots);
  }

  /** Gives the ingestions' slots back (nothing for one that holds none). */
  async release(...ingestionIds: string[]): Promise<void> {
    await this.doc.send(
      new UpdateCommand({ TableName: this.table, Key: SLOTS_KEY, UpdateExpression: 'DELETE holders :ids', ExpressionAttributeValues: { ':ids': new Set(ingestionIds) } }),
    );
  }

  /** The ingestions holding a slot now. */
  async holders(): Promise<string[]> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: SLOTS_KEY, ConsistentRead: true }));
    return [...((Item?.holders as Set<string> | undefined) ?? [])].sort();
  }

  private tryAdd(ingestionId: string, slots: number): Promise<boolean> {
    return writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: SLOTS_KEY,
          UpdateExpression: 'ADD holders :id',
          ConditionExpression: 'attribute_not_exists(holders) OR contains(holders, :one) OR size(holders) < :slots',
          ExpressionAttributeValues: { ':id': new Set([ingestionId]), ':one': ingestionId, ':slots': slots },
        }),
      ),
    );
  }

  private async endedHolders(): Promise<string[]> {
    const holders = await this.holders();
    if (holders.length === 0) return [];
    const { Responses = {} } = await this.doc.send(
      new BatchGetCommand({ RequestItems: { [this.table]: { Keys: holders.map(summaryKey), ProjectionExpression: 'ingestionId, #s', ExpressionAttributeNames: { '#s': 'status' } } } }),
    );
    const found = new Map((Responses[this.table] ?? []).map((i) => [i.ingestionId as string, i.status as string]));
    // A holder with no summary was never recorded: nothing will release it.
    return holders.filter((id) => !found.has(id) || ENDED.has(found.get(id)!));
  }
}
