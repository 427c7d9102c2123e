import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { copyFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DatasetLog } from '../functions/shared/dataset-log';
import { documentClient } from '../functions/shared/document-client';
import { ReplayLog } from '../functions/shared/replay';
import { RunLog, type IngestionRecord } from '../functions/shared/run-log';
import type { ApiClients } from './issuer';
import { folderObject, type S3Object } from './landing-watcher';
import { localAws, type StackInfo } from './layout';

/** A client of a running local stack (what `npm start` wrote to .local/stack.json): its run log, its landing zone,
 *  and following an ingestion through the run log. The CLI, `npm start`'s first-start sample, the tests and the
 *  benchmarks use it; it depends on nothing above local/. */

/** The stack's run log, through its DynamoDB endpoint. */
export const runLogFor = (info: StackInfo) =>
  new RunLog(documentClient(new DynamoDBClient({ endpoint: info.dynamodbEndpoint, ...localAws })), info.runLogTable);

/** The stack's run log seen per dataset (freshness, MISSING entries, daily figures). */
export const datasetLogFor = (info: StackInfo) =>
  new DatasetLog(documentClient(new DynamoDBClient({ endpoint: info.dynamodbEndpoint, ...localAws })), info.runLogTable);

/** The stack's replays (landing-etl replay). */
export const replayLogFor = (info: StackInfo) =>
  new ReplayLog(documentClient(new DynamoDBClient({ endpoint: info.dynamodbEndpoint, ...localAws })), info.runLogTable);

export class TokenRequestError extends Error {
  override name = 'TokenRequestError';
}

/** An access token from an OAuth 2.0 token endpoint with the client-credentials grant (RFC 6749 §4.4), the client
 *  authenticated with HTTP Basic: the local issuer's, or a stage's Cognito user pool's. */
export async function clientCredentialsToken(
  tokenEndpoint: string,
  client: { clientId: string; clientSecret: string; scope: string },
): Promise<string> {
  // Basic credentials are the form-urlencoded id and secret (RFC 6749 §2.3.1).
  const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64');
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: client.scope }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
  if (!res.ok || !body.access_token) {
    throw new TokenRequestError(`${tokenEndpoint} refused a token for scope ${client.scope} (HTTP ${res.status}): ${body.error ?? 'no error code'}${body.error_description ? `: ${body.error_description}` : ''}`);
  }
  return body.access_token;
}

/** A token of the running local stack for the rows or the operations routes, or none when its API is anonymous. */
export async function localApiToken(info: StackInfo, kind: 'rows' | 'operations'): Promise<string | undefined> {
  if (!info.auth) return undefined;
  const { tokenEndpoint, clients } = JSON.parse(await readFile(info.auth.clientsFile, 'utf8')) as ApiClients;
  return clientCredentialsToken(tokenEndpoint, clients[kind]);
}

/** The S3 URI of a landing key, as the executor records it. */
export const landingUri = (info: StackInfo, key: string) => `s3://${info.landingBucket}/${key}`;

/** Copies a file into the local landing folder under `key`, atomically: it appears complete or not at all. */
export async function dropIntoLanding(info: StackInfo, file: string, key: string): Promise<void> {
  const target = join(info.landingFolder, key);
  await mkdir(dirname(target), { recursive: true });
  const partial = join(dirname(target), `.${Date.now()}.part`);
  await copyFile(file, partial);
  await rename(partial, target);
}

/** Folder mode: the one version of a landing key the folder holds, as S3 would describe it; none when no file is there. */
export async function landingFolderObject(info: StackInfo, key: string): Promise<S3Object | undefined> {
  const path = join(info.landingFolder, key);
  const file = await stat(path).catch(() => undefined);
  return file?.isFile() ? folderObject(info.landingBucket, { path, key, size: file.size, mtimeMs: file.mtimeMs }) : undefined;
}

export interface FollowResult {
  ingestionId?: string;
  status: 'SUCCEEDED' | 'FAILED' | 'REJECTED' | 'TIMEOUT';
  stage?: string;
  reason?: string;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'REJECTED']);

/** Waits for the ingestion of a landed object and prints every stage change until it ends or the deadline passes. */
export async function followIngestion(
  runLog: RunLog,
  opts: { sourceUri: string; since: string; print(line: string): void; timeoutMs?: number },
): Promise<FollowResult> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  let id: string | undefined;
  while (!id) {
    if (Date.now() > deadline) return { status: 'TIMEOUT', reason: `no ingestion of ${opts.sourceUri} was recorded` };
    id = (await runLog.forObject(opts.sourceUri, { since: opts.since, limit: 1 }))[0]?.ingestionId;
    if (!id) await sleep();
  }
  opts.print(`ingestion ${id}`);
  return followRun(runLog, id, { attempt: 1, print: opts.print, deadline });
}

/** Prints every stage change of attempt `attempt` of an ingestion until it ends or the deadline passes. */
export async function followRun(
  runLog: RunLog,
  id: string,
  opts: { attempt: number; print(line: string): void; deadline: number },
): Promise<FollowResult> {
  const printed = new Set<string>();
  for (;;) {
    const record = await runLog.get(id);
    if (!record) return { ingestionId: id, status: 'TIMEOUT', reason: `ingestion ${id} is not in the run log` };
    const current = record.summary.attempt === opts.attempt;
    for (const line of (current ? progressLines(record) : []).filter((l) => !printed.has(l))) {
      opts.print(line);
      printed.add(line);
    }
    const { summary } = record;
    if (current && TERMINAL.has(summary.status)) {
      return {
        ingestionId: id,
        status: summary.status as FollowResult['status'],
        stage: summary.stage ?? summary.state,
        ...(summary.cause ? { reason: summary.cause } : {}),
      };
    }
    if (Date.now() > opts.deadline) return { ingestionId: id, status: 'TIMEOUT', reason: `still ${summary.status} at ${summary.state}` };
    await sleep();
  }
}

const sleep = () => new Promise((r) => setTimeout(r, 250));

function progressLines({ summary, stages }: IngestionRecord): string[] {
  const lines = [`  ${summary.status === 'REJECTED' ? 'rejected' : 'received'}  ${summary.sourceUri}`];
  // Once it has waited for an admission slot, when it started to: a line that stays the same while it waits.
  if (summary.queuedAt) lines.push(`  queued    waiting for an admission slot since ${summary.queuedAt}`);
  for (const s of stages) {
    lines.push(`  ${s.stage.padEnd(9)} ${s.status}${s.status === 'FAILED' ? `: ${s.cause ?? s.error ?? ''}` : ''}`);
  }
  if (summary.status === 'SUCCEEDED') lines.push(`  loaded into ${summary.ingestedTable}`);
  if (summary.status === 'REJECTED') lines.push(`  reason: ${summary.cause}`);
  return lines;
}
