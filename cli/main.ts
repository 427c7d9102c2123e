import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { IngestionRecord, IngestionSummary } from '../functions/shared/run-log';
import { dropIntoLanding, followIngestion, landingUri, runLogFor } from './follow';
import { runningStack, StackNotRunning } from './stack-file';

class UsageError extends Error {
  override name = 'UsageError';
}

const USAGE = `usage: landing-etl <command> [options]

  ingest FILE --dataset NAME [--date YYYY-MM-DD]   land FILE in the local stack and follow its ingestion
  status ID [--json]                               one ingestion's run log, stage by stage
  runs [--dataset NAME] [--limit N] [--json]        recent ingestions, newest first`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      dataset: { type: 'string' },
      date: { type: 'string' },
      limit: { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
    },
  });
  switch (command) {
    case 'ingest':
      return ingest(positionals[0], values.dataset, values.date);
    case 'status':
      return status(positionals[0], values.json);
    case 'runs':
      return runs(values.dataset ?? 'dailycheckin', Number(values.limit), values.json);
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function ingest(file: string | undefined, dataset: string | undefined, date: string | undefined) {
  if (!file) throw new UsageError('ingest needs a FILE');
  if (!dataset) throw new UsageError('ingest needs --dataset NAME');
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file: ${file}`);
  if (date && !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UsageError(`--date must be YYYY-MM-DD, got "${date}"`);
  const stack = runningStack();
  const key = [dataset, date, basename(file)].filter(Boolean).join('/');
  const since = new Date().toISOString();
  await dropIntoLanding(resolve(file), key);
  console.log(`landed ${file} as ${landingUri(key)}`);
  const result = await followIngestion(runLogFor(stack), { sourceUri: landingUri(key), since, print: console.log });
  if (result.status === 'SUCCEEDED') {
    console.log(`done: ${result.ingestionId} loaded`);
    return 0;
  }
  console.error(`${result.status}${result.stage ? ` at ${result.stage}` : ''}: ${result.reason ?? 'no reason recorded'}`);
  return 1;
}

async function status(id: string | undefined, json: boolean) {
  if (!id) throw new UsageError('status needs an ingestion ID');
  const record = await runLogFor(runningStack()).get(id);
  if (!record) {
    console.error(`no ingestion ${id}`);
    return 1;
  }
  console.log(json ? JSON.stringify(record, null, 2) : formatRecord(record));
  return 0;
}

async function runs(dataset: string, limit: number, json: boolean) {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1–1000');
  const items = await runLogFor(runningStack()).recent(dataset, limit);
  console.log(json ? JSON.stringify(items, null, 2) : formatRuns(items));
  return 0;
}

function formatRecord({ summary: s, stages }: IngestionRecord): string {
  const lines = [
    `ingestion  ${s.ingestionId}`,
    `dataset    ${s.dataset} (business date ${s.businessDate})`,
    `source     ${s.sourceUri}${s.sourceVersion ? ` (version ${s.sourceVersion})` : ''}`,
    `status     ${s.status} at ${s.state}`,
    `received   ${s.receivedAt}`,
  ];
  if (s.cause) lines.push(`reason     ${s.cause}`);
  for (const st of stages) {
    const duration = st.startedAt && st.endedAt ? ` ${((Date.parse(st.endedAt) - Date.parse(st.startedAt)) / 1000).toFixed(1)}s` : '';
    lines.push(`  ${st.stage.padEnd(9)} ${st.status.padEnd(9)}${duration}${st.cause ? `  ${st.cause}` : ''}`);
  }
  return lines.join('\n');
}

function formatRuns(items: IngestionSummary[]): string {
  if (items.length === 0) return 'no ingestions yet';
  return items.map((s) => `${s.receivedAt}  ${s.status.padEnd(9)} ${s.state.padEnd(9)} ${s.ingestionId}  ${s.sourceUri}`).join('\n');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`landing-etl: ${e.message}`);
    if (e instanceof UsageError) console.error(USAGE);
    process.exit(e instanceof UsageError ? 2 : e instanceof StackNotRunning ? 3 : 1);
  },
);
