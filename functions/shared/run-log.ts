import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The run log is one DynamoDB table: per ingestion a SUMMARY item and one STAGE#<name> item per stage, under the
 *  partition key ING#<id>. Two indexes answer "recent ingestions of a dataset" and "ingestions of an object". */
export const STAGES = ['transform', 'test', 'load'] as const;
export type Stage = (typeof STAGES)[number];
export type IngestionStatus = 'RECEIVED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'REJECTED';
export type StageStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export const RUN_LOG_INDEXES = { byDataset: 'byDataset', byObject: 'byObject' } as const;

export interface IngestionSummary {
  ingestionId: string;
  dataset: string;
  businessDate: string;
  sourceUri: string;
  sourceVersion?: string;
  status: IngestionStatus;
  /** The stage the ingestion is in or stopped at (RECEIVED, TRANSFORM, TEST, LOAD, DONE, REJECTED). */
  state: string;
  ingestedID: string;
  ingestedTable?: string;
  receivedAt: string;
  updatedAt: string;
  attempt: number;
  error?: string;
  cause?: string;
}

export interface StageRecord {
  stage: Stage;
  status: StageStatus;
  startedAt?: string;
  endedAt?: string;
  attempt?: number;
  glueRunId?: string;
  metrics?: Record<string, unknown>;
  error?: string;
  cause?: string;
}

export interface IngestionRecord {
  summary: IngestionSummary;
  stages: StageRecord[];
}

export type NewIngestion = Omit<IngestionSummary, 'ingestedID' | 'updatedAt' | 'attempt' | 'state'>;

export const summaryKey = (id: string) => ({ pk: `ING#${id}`, sk: 'SUMMARY' });

export class RunLog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Writes the first item of an ingestion. Returns false when it already exists (a duplicate delivery). */
  async create(ingestion: NewIngestion, sourceObject: string): Promise<boolean> {
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
            objectKey: sourceObject,
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

  async get(id: string): Promise<IngestionRecord | undefined> {
    const { Items = [] } = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': summaryKey(id).pk },
      }),
    );
    const summary = Items.find((i) => i.sk === 'SUMMARY');
    if (!summary) return undefined;
    const stages = Items.filter((i) => String(i.sk).startsWith('STAGE#')) as StageRecord[];
    stages.sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage));
    return { summary: summary as IngestionSummary, stages };
  }

  async getSummary(id: string): Promise<IngestionSummary | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: summaryKey(id) }));
    return Item as IngestionSummary | undefined;
  }

  /** The newest ingestion of a source object (s3://bucket/key) received at or after `since`. */
  async latestForObject(sourceUri: string, since: string): Promise<IngestionSummary | undefined> {
    const { Items = [] } = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: RUN_LOG_INDEXES.byObject,
        KeyConditionExpression: 'objectKey = :o AND recentKey >= :since',
        ExpressionAttributeValues: { ':o': sourceUri, ':since': since },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    return Items[0] as IngestionSummary | undefined;
  }

  /** Most recent ingestions of a dataset, newest first. */
  async recent(dataset: string, limit: number): Promise<IngestionSummary[]> {
    const { Items = [] } = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: RUN_LOG_INDEXES.byDataset,
        KeyConditionExpression: 'datasetKey = :d',
        ExpressionAttributeValues: { ':d': dataset },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items as IngestionSummary[];
  }
}
