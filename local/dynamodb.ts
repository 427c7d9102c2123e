import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
// @ts-expect-error dynalite ships no types
import dynalite from 'dynalite';
import { RUN_LOG_INDEXES } from '../functions/shared/run-log';
import { localAws, names, paths } from './layout';
import { freePort } from './ports';

export interface LocalDynamo {
  endpoint: string;
  stop(): Promise<void>;
}

/** A DynamoDB-API server (dynalite) persisting to .local/ (in memory when `path` is null), with the run-log table
 *  as serverless.yml declares it. */
export async function startDynamo(path: string | null = paths.dynamodb): Promise<LocalDynamo> {
  if (path) await mkdir(path, { recursive: true });
  const server: Server = dynalite({ ...(path ? { path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${port}`;
  await ensureRunLogTable(new DynamoDBClient({ endpoint, ...localAws }));
  return {
    endpoint,
    stop: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

async function ensureRunLogTable(client: DynamoDBClient): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: names.runLogTable }));
    return;
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
  }
  const index = (name: string, pk: string, sk: string) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: pk, KeyType: 'HASH' as const },
      { AttributeName: sk, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  await client.send(
    new CreateTableCommand({
      TableName: names.runLogTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', 'datasetKey', 'objectKey', 'recentKey'].map((n) => ({
        AttributeName: n,
        AttributeType: 'S' as const,
      })),
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        index(RUN_LOG_INDEXES.byDataset, 'datasetKey', 'recentKey'),
        index(RUN_LOG_INDEXES.byObject, 'objectKey', 'recentKey'),
      ],
    }),
  );
}
