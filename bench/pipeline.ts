/** npm run bench:pipeline -- --rows N [--bad-share 0.01] [--seed 42]
 *  Runs the local pipeline end to end on a generated file: starts a local stack in a temporary LOCAL_DIR, lands the
 *  file, follows the ingestion to the end, checks the rows are queryable over HTTP, then prints per-stage seconds,
 *  rows/s, the peak RSS of the stack's whole process tree and the load's ratio to a plain COPY of the same rows.
 *  Appends a line to bench/results.md. A benchmark, not a test: it fails only when the run itself fails. */
import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import type { IngestionRecord } from '../functions/shared/run-log';
import { runLogFor } from '../local/client';
import { startLocalStack, type RunningStack } from '../test/support/local-stack';
import { generate } from './generate';

const repo = process.cwd();
const RESULTS = join(repo, 'bench', 'results.md');

class BenchmarkFailed extends Error {
  override name = 'BenchmarkFailed';
}

/** Sum of VmRSS over a process and all its descendants (JVMs, Python, PostgreSQL), in bytes. */
function treeRss(root: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // gone
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

const seconds = (from?: string, to?: string) => (from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : NaN);
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? NaN));
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const rate = (rows: number, s: number) => (s > 0 ? Math.round(rows / s) : NaN);

async function waitFor<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new BenchmarkFailed(`${what}: not within ${deadlineMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  const { values } = parseArgs({
    options: { rows: { type: 'string', default: '1000000' }, 'bad-share': { type: 'string', default: '0.01' }, seed: { type: 'string', default: '42' } },
  });
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 1) throw new BenchmarkFailed(`--rows must be a positive integer, got ${values.rows}`);

  const stack: RunningStack = await startLocalStack({ waitForSample: true, timeoutMs: 600_000, env: { LOCAL_POLL_MS: '200' } });
  let peak = 0;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const file = join(stack.dir, 'bench.csv');
    const gen = await generate(file, { rows, badShare: Number(values['bad-share']), duplicateShare: 0.005, seed: Number(values.seed) });
    console.log(`generated ${gen.rows} rows (${gen.bad} bad, ${gen.duplicates} duplicates), ${(gen.bytes / 2 ** 20).toFixed(1)} MiB`);

    const stackPid = stack.info.pid;
    peak = treeRss(stackPid);
    sampler = setInterval(() => (peak = Math.max(peak, treeRss(stackPid))), 250);

    const runLog = runLogFor(stack.info);
    const key = `dailycheckin/2026-11-21/bench-${rows}.csv`;
    const target = join(stack.info.landingFolder, key);
    mkdirSync(dirname(target), { recursive: true });
    const partial = join(dirname(target), `.${basename(target)}.part`); // dot-files are uploads in progress
    copyFileSync(file, partial);
    const since = new Date().toISOString();
    const dropped = Date.now();
    renameSync(partial, target);

    const sourceUri = `s3://${stack.info.landingBucket}/${key}`;
    const id = await waitFor('ingestion recorded', 60_000, async () => (await runLog.forObject(sourceUri, { since, limit: 1 }))[0]?.ingestionId);
    const record: IngestionRecord = await waitFor('ingestion finished', 15 * 60_000, async () => {
      const r = await runLog.get(id);
      if (r?.summary.status === 'FAILED' || r?.summary.status === 'REJECTED') {
        throw new BenchmarkFailed(`ingestion ${id} ${r.summary.status} at ${r.summary.state}: ${r.summary.cause ?? ''}`);
      }
      return r?.summary.status === 'SUCCEEDED' ? r : undefined;
    });
    const probeUser = readFileSync(file, 'utf8').split('\n', 3)[1]!.split(',')[0]!;
    await waitFor('rows queryable', 60_000, async () => {
      const res = await fetch(`${stack.info.apiUrl}/get?user=${encodeURIComponent(probeUser)}`);
      const body = (await res.json()) as { response?: unknown[] };
      return body.response?.length ? true : undefined;
    });
    const queryable = (Date.now() - dropped) / 1000;
    clearInterval(sampler);
    sampler = undefined;

    const accepted = join(stack.info.dataFolder!, 'staging', 'dailycheckin', id, 'accepted');
    if (!existsSync(accepted)) throw new BenchmarkFailed(`no accepted rows at ${accepted}`);
    const { stdout } = await promisify(execFile)(join(repo, '.venv', 'bin', 'python'), [join(repo, 'bench', 'plain_copy.py'), accepted, 'daily_checkins'], {
      env: { ...process.env, DATABASE_URL: stack.info.databaseUrl },
    });
    const plain = JSON.parse(stdout) as { rows: number; seconds: number };

    const lines: string[] = [];
    const out = (l: string) => (console.log(l), lines.push(l));
    out(`\n${rows} rows, ${(gen.bytes / 2 ** 20).toFixed(1)} MiB, ingestion ${id}`);
    out(`stage       job s   stage s   rows in    rows out   rows/s (job)`);
    const perStage: Record<string, { job: number; stage: number; rowsIn: number; rowsOut: number }> = {};
    for (const s of record.stages) {
      const m = s.metrics ?? {};
      const job = num(m.seconds);
      const st = { job, stage: seconds(s.startedAt, s.endedAt), rowsIn: num(m.rowsIn), rowsOut: num(m.rowsOut) };
      perStage[s.stage] = st;
      out(`${s.stage.padEnd(10)} ${fmt(job).padStart(6)} ${fmt(st.stage).padStart(9)} ${String(st.rowsIn).padStart(9)} ${String(st.rowsOut).padStart(10)} ${String(rate(st.rowsIn, job)).padStart(13)}`);
    }
    const load = perStage.load!;
    const plainRate = rate(plain.rows, plain.seconds);
    out(`drop → queryable: ${fmt(queryable)} s   peak RSS of the stack's process tree: ${fmt(peak / 2 ** 30, 2)} GiB   load average: ${fmt(loadavg()[0]!)} on ${cpus().length} cores`);
    out(`plain COPY of the ${plain.rows} accepted rows into an empty table: ${fmt(plain.seconds, 2)} s = ${plainRate} rows/s; load job ${rate(load.rowsOut, load.job)} rows/s = ${fmt(rate(load.rowsOut, load.job) / plainRate, 2)}× plain COPY`);

    if (!existsSync(RESULTS)) {
      appendFileSync(
        RESULTS,
        '# Pipeline benchmark results\n\nAppended by `npm run bench:pipeline -- --rows N`. Seconds: each job\'s own (process start → end); the ' +
          'stage column adds the state machine\'s polling. Peak RSS: the local stack\'s whole process tree.\n\n' +
          '| date | rows | MiB | transform s | test s | load s | load rows/s | plain COPY rows/s | load/COPY | drop→queryable s | peak GiB | cores | RAM GiB | load avg |\n' +
          '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n',
      );
    }
    const p = perStage;
    appendFileSync(
      RESULTS,
      `| ${new Date().toISOString().slice(0, 16)} | ${rows} | ${(gen.bytes / 2 ** 20).toFixed(1)} | ${fmt(p.transform!.job)} (${fmt(p.transform!.stage)}) | ` +
        `${fmt(p.test!.job)} (${fmt(p.test!.stage)}) | ${fmt(load.job)} (${fmt(load.stage)}) | ${rate(load.rowsOut, load.job)} | ${plainRate} | ` +
        `${fmt(rate(load.rowsOut, load.job) / plainRate, 2)} | ${fmt(queryable)} | ${fmt(peak / 2 ** 30, 2)} | ${cpus().length} | ${fmt(totalmem() / 2 ** 30, 0)} | ${fmt(loadavg()[0]!)} |\n`,
    );
    console.log(`appended to ${RESULTS}`);
  } finally {
    if (sampler) clearInterval(sampler);
    await stack.stop();
    rmSync(stack.dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e instanceof BenchmarkFailed ? `bench: ${e.message}` : e);
  process.exit(1);
});
