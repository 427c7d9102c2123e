import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { RUN_LOG_INDEXES, summaryKey, summarySchema, type IngestionSummary } from './run-log';

/** The run log seen per dataset: its recent ingestions read through the byDataset index within a time range (never a
 *  scan), the figures of one run, and the dataset's MISSING entries.
 *
 *  A MISSING entry is one item per dataset and business date, under pk DATASET#<dataset>, sk MISSING#<date>: the
 *  freshness checker creates it conditionally, so of any number of checkers only one records it and alerts; the
 *  executor closes it when the file arrives (status LATE, with how late). It carries no index keys, so GET /ingestions
 *  never lists it, and a dataset's entries of a range of dates are one Query of its partition. */

export const missingKey = (dataset: string, businessDate: string) => ({ pk: `DATASET#${dataset}`, sk: `MISSING#${businessDate}` });

const missingSchema = z.object({
  dataset: z.string(),
  businessDate: z.string(),
  status: z.enum(['MISSING', 'LATE']),
  dueAt: z.string(),
  deadlineAt: z.string(),
  /** The checker's time when it found the file missing. */
  detectedAt: z.string(),
  arrivedAt: z.optional(z.string()),
  ingestionId: z.optional(z.string()),
  lateByMinutes: z.optional(z.number()),
});
export type MissingEntry = z.infer<typeof missingSchema>;

/** A summary read from the index, with the run's cost when the run recorded one (optional: GetJobRun figures). */
export type RecentIngestion = IngestionSummary & { costUsd?: number | undefined };

/** What one run loaded, rejected and cost: its test and load stages' metrics, its cost (0 when not recorded). */
export interface RunFigures {
  rowsTested: number;
  rowsRejected: number;
  rowsLoaded: number;
  costUsd: number;
}

const num = z.catch(z.optional(z.number()), undefined);
const figuresItem = z.object({
  sk: z.string(),
  costUsd: num,
  metrics: z.optional(z.object({ rowsIn: num, rejected: num, rowsOut: num })),
});

async function writtenIf(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}

export class DatasetLog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The ingestions of a dataset received at or after `since` (an ISO time or date), oldest first: every page of one
   *  range of the byDataset index, whose sort key begins with the time received. */
  async receivedSince(dataset: string, since: string): Promise<RecentIngestion[]> {
    const items: RecentIngestion[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: RUN_LOG_INDEXES.byDataset,
          KeyConditionExpression: 'datasetKey = :d AND recentKey >= :since',
          ExpressionAttributeValues: { ':d': dataset, ':since': since },
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of page.Items ?? []) {
        const cost = num.parse(raw.costUsd);
        items.push({ ...summarySchema.parse(raw), ...(cost !== undefined ? { costUsd: cost } : {}) });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** The figures of one run: rows the test stage read and rejected, rows the load wrote, and its cost (the summary's
   *  total when the run recorded one, else the sum of its stages'). */
  async figures(ingestionId: string): Promise<RunFigures> {
    const { Items = [] } = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': summaryKey(ingestionId).pk },
      }),
    );
    const items = Items.map((i) => figuresItem.parse(i));
    const stage = (name: string) => items.find((i) => i.sk === `STAGE#${name}`);
    const summaryCost = items.find((i) => i.sk === 'SUMMARY')?.costUsd;
    const stageCost = items.filter((i) => i.sk.startsWith('STAGE#')).reduce((sum, i) => sum + (i.costUsd ?? 0), 0);
    return {
      rowsTested: stage('test')?.metrics?.rowsIn ?? 0,
      rowsRejected: stage('test')?.metrics?.rejected ?? 0,
      rowsLoaded: stage('load')?.metrics?.rowsOut ?? 0,
      costUsd: summaryCost ?? stageCost,
    };
  }

  /** Records a business date's file as missing. False when an entry for that dataset and date exists already: another
   *  check recorded (and alerted) it, or the file came late and closed it. */
  recordMissing(entry: Omit<MissingEntry, 'status'>): Promise<boolean> {
    return writtenIf(
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...missingKey(entry.dataset, entry.businessDate), ...entry, status: 'MISSING' },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /** Takes back an entry this check recorded but could not alert about, so the next check records and alerts again. */
  async withdrawMissing(entry: Pick<MissingEntry, 'dataset' | 'businessDate' | 'detectedAt'>): Promise<void> {
    await writtenIf(
      this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: missingKey(entry.dataset, entry.businessDate),
          ConditionExpression: '#status = :missing AND detectedAt = :at',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':missing': 'MISSING', ':at': entry.detectedAt },
        }),
      ),
    );
  }

  /** Closes an open MISSING entry when the file arrives: LATE, with the arrival and how late. False when there is no
   *  open entry (the file was not reported missing, or an earlier delivery closed it). */
  closeMissing(dataset: string, businessDate: string, arrival: { ingestionId: string; arrivedAt: string; lateByMinutes: number }): Promise<boolean> {
    return writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: missingKey(dataset, businessDate),
          UpdateExpression: 'SET #status = :late, arrivedAt = :at, ingestionId = :id, lateByMinutes = :by',
          ConditionExpression: '#status = :missing',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':late': 'LATE',
            ':missing': 'MISSING',
            ':at': arrival.arrivedAt,
            ':id': arrival.ingestionId,
            ':by': arrival.lateByMinutes,
          },
        }),
      ),
    );
  }

  /** The dataset's MISSING entries for business dates from `fromDate` on, oldest first. */
  async missingSince(dataset: string, fromDate: string): Promise<MissingEntry[]> {
    const { pk, sk } = missingKey(dataset, fromDate);
    const { Items = [] } = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': sk, ':to': 'MISSING#9999' },
      }),
    );
    return Items.map((i) => missingSchema.parse(i));
  }

  /** Claims the publication of an ended run's metrics, once per attempt: of two checkers only one publishes them. */
  claimMetrics(ingestionId: string, attempt: number): Promise<boolean> {
    return writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(ingestionId),
          UpdateExpression: 'SET metricsAttempt = :attempt',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(metricsAttempt) OR metricsAttempt < :attempt)',
          ExpressionAttributeValues: { ':attempt': attempt },
        }),
      ),
    );
  }
}
