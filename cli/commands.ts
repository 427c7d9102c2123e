// The commands themselves, loaded by main.ts once the command line is understood: `--help` and usage errors need
// none of the AWS SDK or zod, which take most of the CLI's start-up.
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { loadContracts } from '../functions/shared/contracts';
import { datasetsView } from '../functions/shared/datasets-view';
import { ingestionView, summaryView } from '../functions/shared/ingestion-view';
import { IngestionNotFoundError, InvalidCursorError } from '../functions/shared/errors';
import { retryIngestion } from '../functions/shared/retry';
import { INGESTION_STATUSES, type IngestionStatus } from '../functions/shared/run-log';
import { newReplayId } from '../functions/shared/replay';
import { UsageError } from './errors';
import { dropIntoLanding, followIngestion, followRun, landingUri, runLogFor } from '../local/client';
import { formatDatasets, formatIngestion, formatRuns } from './format';
import { runningStack } from './stack-file';
import { formatPlan, planReplay, replayRequest, sendReplay } from './replay';
import { resolveReplayPorts, resolveTarget, type Target } from './target';

export function parseLimit(raw: string): number {
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new UsageError(`--limit must be a whole number 1–100, got "${raw}"`);
  return limit;
}

export function parseStatus(raw: string | undefined): IngestionStatus | undefined {
  if (raw === undefined) return undefined;
  const status = raw.toUpperCase() as IngestionStatus;
  if (!INGESTION_STATUSES.includes(status)) throw new UsageError(`--status must be one of ${INGESTION_STATUSES.join(', ')}, got "${raw}"`);
  return status;
}

export async function ingest(file: string | undefined, dataset: string | undefined, date: string | undefined) {
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

export async function status(target: Target, id: string, json: boolean) {
  const record = await target.runLog.get(id);
  if (!record) throw new IngestionNotFoundError(`no ingestion ${id} in ${target.label}`);
  const { dataset, replayId } = record.summary;
  const view = ingestionView(record, replayId ? await target.replayLog.get(dataset, replayId) : undefined);
  console.log(json ? JSON.stringify(view, null, 2) : formatIngestion(view, target.flags));
  return 0;
}

export async function runs(
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
      if (e instanceof InvalidCursorError) throw new UsageError(`--cursor: ${e.message}`);
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

/** Every dataset's freshness against its schedule, last success and run, and daily figures: GET /datasets' data. */
export async function datasets(target: Target, json: boolean) {
  const view = await datasetsView(loadContracts(), target.datasetLog, new Date());
  console.log(json ? JSON.stringify(view, null, 2) : formatDatasets(view));
  return 0;
}

export async function retry(target: Target, id: string, json: boolean, detach: boolean) {
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

/** `replay`: prints what it will replay, then (unless --dry-run) records the replay and sends its messages. */
export async function replay(o: {
  dataset?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  latest: boolean;
  dryRun: boolean;
  reason?: string | undefined;
  json: boolean;
  stage?: string | undefined;
  region?: string | undefined;
}) {
  const request = replayRequest(o, [...loadContracts().keys()]);
  const ports = await resolveReplayPorts(o);
  const now = new Date();
  const plan = await planReplay(request, newReplayId(now), await ports.replayLog.ingestionsOf(request.dataset, request.from, request.to), ports.versions, now);
  const json = (sent: unknown) => ({
    replayId: plan.replayId,
    ...request,
    replays: plan.replays.map(({ record: _, ...p }) => p),
    skipped: plan.skipped,
    datesWithoutIngestion: plan.datesWithoutIngestion,
    sent,
  });
  if (!o.json) console.log(formatPlan(plan));
  if (o.dryRun) {
    console.log(o.json ? JSON.stringify(json(null), null, 2) : 'dry run: nothing recorded, nothing sent');
    return 0;
  }
  const recorded = await sendReplay(plan, ports, () => new Date());
  if (o.json) console.log(JSON.stringify(json(recorded), null, 2));
  else {
    console.log(`replay ${plan.replayId} recorded and sent to the landing queue as ${recorded.requestedBy}`);
    console.log(`follow it: npx landing-etl runs --dataset ${request.dataset}${o.stage ? ` --stage ${o.stage}` : ''}${o.region ? ` --region ${o.region}` : ''}`);
  }
  return 0;
}

export const target = (o: { stage?: string | undefined; region?: string | undefined }) => resolveTarget({ stage: o.stage, region: o.region });

/** `doctor --stage S`: the read-only checks of cli/doctor.ts against the account; 1 when something would break a
 *  deploy or a run. */
export async function doctor(stage: string | undefined, region: string | undefined): Promise<number> {
  if (!stage) throw new UsageError('doctor needs --stage NAME (it checks an AWS account, not the local stack)');
  const { accountFindings, formatFindings, networkFindings } = await import('./doctor');
  const { describeAccount, describeNetwork, planFromStack, planFromTemplate } = await import('./doctor-aws');
  const packaged = planFromTemplate(`.build/package/${stage}/cloudformation-template-update-stack.json`);
  const deployed = await planFromStack(stage, region, packaged);
  const plan = deployed ?? packaged;
  const where = region ?? process.env.AWS_REGION ?? 'us-east-1';
  console.log(`doctor: stage ${stage} in ${where}, ${deployed ? 'its deployed stack' : 'its packaged template (not deployed)'}`);
  const network = await describeNetwork(plan, where);
  if (!network) console.log('doctor: the stack creates its network on its first deploy; run doctor again after it');
  const findings = [...(network ? networkFindings(network) : []), ...accountFindings(await describeAccount(plan, where))];
  console.log(formatFindings(findings));
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

