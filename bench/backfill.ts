/** npm run bench:backfill -- [--files 60] [--job-concurrency 2] [--account-concurrency 4] [--get-job-run-rate 4] [--slots 5]
 *  A backfill on the local stack: `--files` small daily files of a year dropped into the landing zone at once, against
 *  Glue at small limits (every job's MaxConcurrentRuns, the account's concurrent runs, a GetJobRun rate the polls of
 *  the running ingestions exceed) with `--slots` admission slots. Waits for every ingestion to end, then reports
 *  whether each SUCCEEDED, stage failures, zombie Glue runs, the throughput against the ideal the limits allow, Glue
 *  API calls per ingestion, the peak history events of an execution, and a projection of a 365-file backfill on AWS.
 *  Records the run in bench/results/backfill.jsonl (bench/record.ts). A benchmark, not a test: it fails only when the run fails. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { IngestionRecord } from '../functions/shared/run-log';
import type { JobRun } from '../local/glue/model';
import type { Execution } from '../local/stepfunctions-executions';
import { runLogFor } from '../local/client';
import { land } from '../test/support/landing';
import { startLocalStack } from '../test/support/local-stack';
import { POLLING, pollSchedule } from '../statemachine/definition.js';
import { recordRun, sampleLoadAverage } from './record';

class BenchmarkFailed extends Error {
  override name = 'BenchmarkFailed';
}

const repo = process.cwd();
const ENDED = new Set(['SUCCEEDED', 'FAILED', 'REJECTED']);

/** GetJobRun calls of one stage whose run takes `seconds`, on the state machine's poll schedule (statemachine/definition.js). */
function pollsFor(seconds: number): number {
  const delays = pollSchedule(POLLING);
  let elapsed = 0;
  let polls = 0;
  while (elapsed <= seconds) {
    elapsed += delays[Math.min(polls, delays.length - 1)]!;
    polls++;
  }
  return polls;
}

/** A 365-file backfill on AWS with the template's defaults, from the measured calls and the documented quotas: how long
 *  it takes, and what it asks of each API. `stageMinutes`: a Glue stage's run time there (start-up included). */
function projection(files: number, slots: number, stageMinutes: number, admissionRetrySeconds: number) {
  const ingestionMinutes = 3 * stageMinutes;
  const wallHours = (Math.ceil(files / slots) * ingestionMinutes) / 60;
  // A waiting object's message comes back every admissionRetrySeconds: the i-th batch of `slots` waits i ingestions.
  let deferrals = 0;
  for (let i = 0; i < files; i++) deferrals += Math.floor((Math.floor(i / slots) * ingestionMinutes * 60) / admissionRetrySeconds);
  return {
    files,
    slots,
    stageMinutes,
    wallHours: Number(wallHours.toFixed(1)),
    glueRunsAtOnce: slots,
    getJobRunPerIngestion: 3 * pollsFor(stageMinutes * 60),
    getJobRunPerSecond: Number(((slots * pollsFor(stageMinutes * 60)) / (stageMinutes * 60)).toFixed(2)),
    startExecutions: files,
    sqsDeferrals: deferrals,
    executorInvocations: Math.ceil((files + deferrals) / 10),
  };
}

async function waitForAll(runLog: ReturnType<typeof runLogFor>, ids: () => Promise<string[]>, files: number, deadlineMs: number) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const found = await ids();
    if (found.length === files) {
      const records = await Promise.all(found.map((id) => runLog.get(id)));
      if (records.every((r) => r && ENDED.has(r.summary.status))) return records as IngestionRecord[];
    }
    if (Date.now() > deadline) throw new BenchmarkFailed(`not every ingestion ended within ${deadlineMs / 1000} s (${found.length} of ${files} recorded)`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '60' },
      'job-concurrency': { type: 'string', default: '2' },
      'account-concurrency': { type: 'string', default: '4' },
      'get-job-run-rate': { type: 'string', default: '4' },
      slots: { type: 'string', default: '5' },
    },
  });
  const n = (name: keyof typeof values) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < 1) throw new BenchmarkFailed(`--${name} must be a positive integer, got ${values[name]}`);
    return v;
  };
  const files = n('files');
  const limits = { jobConcurrentRuns: n('job-concurrency'), accountConcurrentRuns: n('account-concurrency'), getJobRunPerSecond: n('get-job-run-rate'), slots: n('slots') };
  const load = sampleLoadAverage();

  const stack = await startLocalStack({
    waitForSample: true,
    timeoutMs: 600_000,
    env: {
      LOCAL_POLL_MS: '250',
      LOCAL_GLUE_JOB_CONCURRENCY: String(limits.jobConcurrentRuns),
      LOCAL_GLUE_CONCURRENCY: String(limits.accountConcurrentRuns),
      LOCAL_GLUE_API_RATES: `GetJobRun=${limits.getJobRunPerSecond}`,
      LOCAL_ADMISSION_SLOTS: String(limits.slots),
      LOCAL_ADMISSION_RETRY_SECONDS: '1',
    },
  });
  let records: IngestionRecord[];
  let wallSeconds: number;
  try {
    const runLog = runLogFor(stack.info);
    const sample = readFileSync(join(repo, 'samples', 'dailycheckin-sample.csv'));
    const dates = Array.from({ length: files }, (_, i) => new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10));
    const uris = dates.map((d) => `s3://${stack.info.landingBucket}/dailycheckin/${d}/backfill.csv`);
    const since = new Date().toISOString();
    const dropped = Date.now();
    for (const d of dates) land(stack.info, `dailycheckin/${d}/backfill.csv`, sample);
    const ids = async () => (await Promise.all(uris.map((u) => runLog.forObject(u, { since, limit: 1 })))).flatMap((s) => (s[0] ? [s[0].ingestionId] : []));
    records = await waitForAll(runLog, ids, files, 60 * 60_000);
    const lastEnd = Math.max(...records.map((r) => Date.parse(r.summary.endedAt ?? r.summary.updatedAt ?? r.summary.receivedAt)));
    wallSeconds = (lastEnd - dropped) / 1000;
  } finally {
    await stack.stop();
  }

  const report = JSON.parse(readFileSync(join(stack.dir, 'glue-report.json'), 'utf8')) as { calls: Record<string, { total: number; throttled: number }>; runs: JobRun[] };
  const executionsDir = join(stack.dir, 'stepfunctions');
  const executions = readdirSync(executionsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(executionsDir, f), 'utf8')) as Execution)
    .filter((e) => records.some((r) => e.name.startsWith(r.summary.ingestionId)));
  const backfillRuns = report.runs.filter((r) => records.some((rec) => rec.summary.ingestionId === r.Arguments['--ingestion_id']));
  const runSeconds = backfillRuns.reduce((sum, r) => sum + r.ExecutionTime, 0);
  const allowedAtOnce = Math.min(limits.accountConcurrentRuns, 3 * limits.jobConcurrentRuns, limits.slots);
  const idealSeconds = runSeconds / allowedAtOnce;
  const statuses = records.reduce<Record<string, number>>((c, r) => ({ ...c, [r.summary.status]: (c[r.summary.status] ?? 0) + 1 }), {});
  const figures = {
    ingestions: statuses,
    stageFailures: records.flatMap((r) => r.stages).filter((s) => s.status === 'FAILED').length,
    queued: records.filter((r) => r.summary.queuedAt).length,
    zombies: report.runs.filter((r) => ['STARTING', 'RUNNING', 'WAITING', 'STOPPING'].includes(r.JobRunState)).length,
    glueRuns: backfillRuns.length,
    wallSeconds: Number(wallSeconds.toFixed(1)),
    runSeconds,
    idealSeconds: Number(idealSeconds.toFixed(1)),
    throughputOfIdeal: Number((idealSeconds / wallSeconds).toFixed(2)),
    glueCallsPerIngestion: Object.fromEntries(Object.entries(report.calls).map(([op, c]) => [op, Number((c.total / files).toFixed(1))])),
    getJobRunThrottled: report.calls.GetJobRun?.throttled ?? 0,
    peakHistoryEvents: Math.max(...executions.map((e) => e.historyEvents ?? 0)),
    projection365: projection(365, 5, 5, 30),
  };
  console.log(JSON.stringify(recordRun('backfill', { conditions: { files, ...limits }, figures, loadAverage: load.stop() }), null, 2));
  const result = figures;
  const failed = files - (statuses.SUCCEEDED ?? 0);
  if (failed > 0 || result.stageFailures > 0 || result.zombies > 0) throw new BenchmarkFailed(`${failed} ingestion(s) did not succeed, ${result.stageFailures} stage failure(s), ${result.zombies} zombie run(s)`);
}

main().catch((e: Error) => {
  console.error(`${e.name}: ${e.message}`);
  process.exitCode = 1;
});
