import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { RUN_LOG_INDEXES, summaryKey, summarySchema, writtenIf, type IngestionSummary } from './run-log';

/** The run log seen per dataset: its recent ingestions read through the byDataset index within a time range (never a
 *  scan), the figures of one run, and the dataset's MISSING entries.
 *
 *  A MISSING entry is one item per dataset and business date, under pk DATASET#<dataset>, sk MISSING#<date>: the
 *  freshness checker writes it conditionally, so of any number of checkers only one claims its alert; the executor
 *  closes it when the file arrives (status LATE, with how late). It carries no index keys, so GET /ingestions
 *  never lists it, and a dataset's entries of a range of dates are one Query of its partition. */

export const missingKey = (dataset: string, businessDate: string) => ({ pk: `DATASET#${dataset}`, sk: `MISSING#${businessDate}` });

const missingSchema = z.object({
  dataset: z.string(),
  businessDate: z.string(),
  status: z.enum(['MISSING', 'LATE']),
  dueAt: z.string(),
  deadlineAt: z.string(),
  /** The checker's time when it first found the file missing. */
  detectedAt: z.string(),
  /** The time of the check that claimed (and sent) the alert; absent while no check has. */
  alertedAt: z.optional(z.string()),
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

/** How many runs before the 30-day window are looked through for the last success. */
const LOOK_BACK = 100;

export class DatasetLog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The ingestions of a dataset received from `since` (an ISO time or date) up to `until` (an instant), oldest first:
   *  every page of one range of the byDataset index, whose sort key begins with the time received. The upper bound
   *  keeps a check of a past moment (a test's clock) from seeing files that came after it. */
  async received(dataset: string, since: string, until: Date): Promise<RecentIngestion[]> {
    const items: RecentIngestion[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: RUN_LOG_INDEXES.byDataset,
          KeyConditionExpression: 'datasetKey = :d AND recentKey BETWEEN :since AND :until',
          // recentKey is `<received at>#<id>`: '~' sorts after '#', so a run received at `until` itself is in.
          ExpressionAttributeValues: { ':d': dataset, ':since': since, ':until': `${until.toISOString()}~` },
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

  /** The latest successful ingestion received before `before`, among the LOOK_BACK runs before it (one page of the
   *  index, newest first): for a dataset with no success in the window the views show. */
  async lastSuccessBefore(dataset: string, before: string): Promise<RecentIngestion | undefined> {
    const { Items = [] } = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: RUN_LOG_INDEXES.byDataset,
        KeyConditionExpression: 'datasetKey = :d AND recentKey < :before',
        FilterExpression: '#status = :succeeded',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':d': dataset, ':before': before, ':succeeded': 'SUCCEEDED' },
        ScanIndexForward: false,
        Limit: LOOK_BACK,
      }),
    );
    return Items[0] ? summarySchema.parse(Items[0]) : undefined;
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

  /** Records a business date's file as missing and claims its alert, in one conditional write (an upsert): true for
   *  exactly one of any number of checks, at once or later; false when the entry's alert was claimed already, or the
   *  file came late and closed it. The first detection's times are kept. */
  recordMissing(entry: Omit<MissingEntry, 'status' | 'alertedAt'>): Promise<boolean> {
    return writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: missingKey(entry.dataset, entry.businessDate),
          UpdateExpression:
            'SET #status = :missing, dataset = :dataset, businessDate = :date, dueAt = :due, deadlineAt = :deadline, ' +
            'detectedAt = if_not_exists(detectedAt, :at), alertedAt = :at',
          ConditionExpression: 'attribute_not_exists(alertedAt) AND (attribute_not_exists(#status) OR #status = :missing)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':missing': 'MISSING',
            ':dataset': entry.dataset,
            ':date': entry.businessDate,
            ':due': entry.dueAt,
            ':deadline': entry.deadlineAt,
            ':at': entry.detectedAt,
          },
        }),
      ),
    );
  }

  /** Gives back an alert this check claimed but could not send, so the next check claims and sends it. */
  async releaseAlert(entry: Pick<MissingEntry, 'dataset' | 'businessDate' | 'detectedAt'>): Promise<void> {
    await writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: missingKey(entry.dataset, entry.businessDate),
          UpdateExpression: 'REMOVE alertedAt',
          ConditionExpression: 'alertedAt = :at',
          ExpressionAttributeValues: { ':at': entry.detectedAt },
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
