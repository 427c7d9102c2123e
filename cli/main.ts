import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadContracts } from '../functions/shared/contracts';
import { ingestionView, summaryView } from '../functions/shared/ingestion-view';
import { retryIngestion, IngestionNotFound } from '../functions/shared/retry';
import { INGESTION_STATUSES, InvalidCursor, type IngestionStatus } from '../functions/shared/run-log';
import { dropIntoLanding, followIngestion, followRun, landingUri, runLogFor } from './follow';
import { formatIngestion, formatRuns } from './format';
import { runningStack, StackNotRunning } from './stack-file';
import { resolveTarget, type Target } from './target';

class UsageError extends Error {
  override name = 'UsageError';
}

const USAGE = `usage: landing-etl <command> [options]

  ingest FILE --dataset NAME [--date YYYY-MM-DD]    land FILE in the local stack and follow its ingestion
  status ID                                         one ingestion's run log: every stage, every attempt
  runs [--dataset NAME | --object S3_URI] [--status STATUS] [--limit N] [--cursor C]
                                                    recent ingestions of a dataset (all: every dataset) or of
                                                    one source object, newest first
  retry ID [--detach]                               re-run a FAILED ingestion as its next attempt and follow it

  --json              machine-readable output (status, runs, retry)
  --stage NAME        a deployed stage (CloudFormation stack landing-etl-NAME) instead of the local stack
  --region R          the deployed stage's region (default: the AWS SDK's)
  --help, -h          this text`;

const OPTIONS = {
  dataset: { type: 'string' },
  object: { type: 'string' },
  date: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string', default: '20' },
  cursor: { type: 'string' },
  json: { type: 'boolean', default: false },
  detach: { type: 'boolean', default: false },
  stage: { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The options, or a UsageError saying what is wrong with them (an unknown option, a missing value). */
function parseOptions(args: string[]) {
  try {
    return parseArgs({ args, allowPositionals: true, options: OPTIONS });
  } catch (e) {
    if (String((e as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_')) throw new UsageError(usageMessage(e as Error));
    throw e;
  }
}

/** node:util's message in the CLI's words, without its advice to put a positional after '--' (the usage follows). */
const usageMessage = (e: Error) =>
  e.message
    .split('. ')[0]!
    .replace(/^Unknown option '([^']+)'$/, 'unknown option "$1"')
    .replace(/^Option '(\S+) <value>' argument missing$/, '$1 needs a value');

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values: o, positionals } = parseOptions(rest);
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  const target = () => resolveTarget({ stage: o.stage, region: o.region });
  switch (command) {
    case 'ingest':
      if (o.stage) throw new UsageError('ingest lands files in the local stack; on a stage, upload to its landing bucket');
      return ingest(positionals[0], o.dataset, o.date);
    case 'status':
      if (!positionals[0]) throw new UsageError('status needs an ingestion ID');
      return status(await target(), positionals[0], o.json);
    case 'runs':
      return runs(await target(), { ...o, limit: parseLimit(o.limit), status: parseStatus(o.status) });
    case 'retry':
      if (!positionals[0]) throw new UsageError('retry needs an ingestion ID');
      return retry(await target(), positionals[0], o.json, o.detach);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function parseLimit(raw: string): number {
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new UsageError(`--limit must be a whole number 1–100, got "${raw}"`);
  return limit;
}

function parseStatus(raw: string | undefined): IngestionStatus | undefined {
  if (raw === undefined) return undefined;
  const status = raw.toUpperCase() as IngestionStatus;
  if (!INGESTION_STATUSES.includes(status)) throw new UsageError(`--status must be one of ${INGESTION_STATUSES.join(', ')}, got "${raw}"`);
  return status;
}

async function ingest(file: string | undefined, dataset: string | undefined, date: string | undefined) {
  if (!file) throw new UsageError('ingest needs a FILE');
  if (!dataset) throw new UsageError('ingest needs --dataset NAME');
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file: ${file}`);
  if (date && !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UsageError(`--date must be YYYY-MM-DD, got "${date}"`);
  const stack = runningStack();
  const key = [dataset, date, basename(file)].filter(Boolean).join('/');
  const since = new Date().toISOString();
  await dropIntoLanding(stack, resolve(file), key);
  console.log(`landed ${file} as ${landingUri(stack, key)}`);
  const result = await followIngestion(runLogFor(stack), { sourceUri: landingUri(stack, key), since, print: console.log });
  if (result.status === 'SUCCEEDED') {
    console.log(`done: ${result.ingestionId} loaded`);
    return 0;
  }
  console.error(`${result.status}${result.stage ? ` at ${result.stage}` : ''}: ${result.reason ?? 'no reason recorded'}`);
  return 1;
}

async function status(target: Target, id: string, json: boolean) {
  const record = await target.runLog.get(id);
  if (!record) throw new IngestionNotFound(`no ingestion ${id} in ${target.label}`);
  console.log(json ? JSON.stringify(ingestionView(record), null, 2) : formatIngestion(ingestionView(record)));
  return 0;
}

async function runs(
  target: Target,
  o: { dataset?: string | undefined; object?: string | undefined; status?: IngestionStatus | undefined; limit: number; cursor?: string | undefined; json: boolean },
) {
  if (o.dataset && o.object) throw new UsageError('give --dataset or --object, not both');
  if (o.cursor && !o.dataset && !o.object) throw new UsageError('--cursor pages through one --dataset or --object');
  let items;
  let nextCursor: string | null = null;
  if (o.dataset || o.object) {
    const opts = { limit: o.limit, status: o.status, cursor: o.cursor };
    try {
      ({ items, nextCursor } = o.object ? await target.runLog.recentOfObject(o.object, opts) : await target.runLog.recent(o.dataset!, opts));
    } catch (e) {
      if (e instanceof InvalidCursor) throw new UsageError(`--cursor: ${e.message}`);
      throw e;
    }
  } else {
    // Every dataset with a contract, merged newest first.
    const pages = await Promise.all(
      [...loadContracts().keys()].map((d) => target.runLog.recent(d, { limit: o.limit, status: o.status })),
    );
    items = pages
      .flatMap((p) => p.items)
      .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt))
      .slice(0, o.limit);
  }
  const views = items.map(summaryView);
  if (o.json) console.log(JSON.stringify({ items: views, nextCursor }, null, 2));
  else {
    console.log(formatRuns(views));
    if (nextCursor) console.log(`more: --cursor ${nextCursor}`);
  }
  return 0;
}

async function retry(target: Target, id: string, json: boolean, detach: boolean) {
  const { attempt, executionArn } = await retryIngestion(id, {
    runLog: target.runLog,
    stateMachineArn: target.stateMachineArn,
    now: () => new Date(),
    async start(name, input) {
      const started = await target.sfn.send(
        new StartExecutionCommand({ stateMachineArn: target.stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return started.executionArn!;
    },
  });
  const print = json ? () => {} : console.log;
  print(`ingestion ${id}: attempt ${attempt} started (${executionArn})`);
  if (detach) {
    if (json) console.log(JSON.stringify({ ingestionId: id, attempt, executionArn }));
    return 0;
  }
  const result = await followRun(target.runLog, id, { attempt, print, deadline: Date.now() + 60 * 60_000 });
  if (json) console.log(JSON.stringify({ ingestionId: id, attempt, executionArn, ...result }));
  if (result.status === 'SUCCEEDED') {
    print(`done: attempt ${attempt} of ${id} succeeded`);
    return 0;
  }
  console.error(`${result.status}${result.stage ? ` at ${result.stage}` : ''}: ${result.reason ?? 'no reason recorded'}`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`landing-etl: ${e.message}`);
    if (e instanceof UsageError) console.error(USAGE);
    process.exit(e instanceof UsageError ? 2 : e instanceof StackNotRunning ? 3 : 1);
  },
);
