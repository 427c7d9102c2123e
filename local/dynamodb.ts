import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
// @ts-expect-error dynalite ships no types
import dynalite from 'dynalite';
import { localAws } from './layout';
import { freePort } from './ports';

export interface LocalDynamo {
  endpoint: string;
  stop(): Promise<void>;
}

/** The table definitions a template creates, as CreateTable input. */
export type TableDefinition = CreateTableCommandInput;

/** A DynamoDB-API server (dynalite) persisting to `path` (in memory when null), with the given tables created as
 *  the template declares them (its key schema, attributes and indexes). */
export async function startDynamo(path: string | null, tables: TableDefinition[]): Promise<LocalDynamo> {
  if (path) await mkdir(path, { recursive: true });
  const server: Server = dynalite({ ...(path ? { path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, ...localAws });
  for (const table of tables) await ensureTable(client, table);
  return {
    endpoint,
    stop: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

async function ensureTable(client: DynamoDBClient, table: TableDefinition): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table.TableName }));
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
    await client.send(new CreateTableCommand(table));
  }
}
