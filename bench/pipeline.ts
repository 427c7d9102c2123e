/** npm run bench:pipeline -- --rows N [--bad-share 0.01] [--seed 42]
 *  Runs the local pipeline end to end on a generated file: starts a local stack in a temporary LOCAL_DIR, lands the
 *  file, follows the ingestion to the end while probing from the drop on when its rows answer over HTTP, then prints per-stage seconds,
 *  tasks, rows/s and the peak memory (Pss, and summed RSS) of the stack's whole process tree. Then, on the same file and the run's staged
 *  rows (bench/stages.py), each Spark stage again with local[1] and local[2] (pinned to 1 and 2 cores), and the load with 1 and 2 connections
 *  beside a plain COPY of the same rows into the same indexed table. Records the run in bench/results/pipeline.jsonl.
 *  A benchmark, not a test: it fails only when the run itself fails. */
import { execFile } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import type { IngestionRecord } from '../functions/shared/run-log';
import { attemptStagingUri } from '../functions/shared/staging-zone';
import { runLogFor } from '../local/client';
import { startLocalStack, type RunningStack } from '../test/support/local-stack';
import { generate } from './generate';
import { apiFetch } from '../test/support/api';
import { recordRun, sampleLoadAverage } from './record';

const repo = process.cwd();

class BenchmarkFailed extends Error {
  override name = 'BenchmarkFailed';
}

/** Memory of a process and all its descendants (JVMs, Python, PostgreSQL), in bytes: the sum of each one's VmRSS, and
 *  of its Pss. Summed RSS counts a shared page once per process mapping it: PostgreSQL's shared_buffers (512 MB
 *  locally) is resident in every backend that touched it. Pss splits each shared page among its sharers, so the sum
 *  is what the tree holds. */
function treeMemory(root: number): { rss: number; pss: number; byProcess: Map<string, number> } {
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
  const total = { rss: 0, pss: 0, byProcess: new Map<string, number>() };
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      total.rss += Number(/^Rss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
      const pss = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
      total.pss += pss;
      // Each JVM on its own (one Spark driver per Glue job); other programs summed by name.
      const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const key = name === 'java' ? `java ${pid}` : name;
      total.byProcess.set(key, (total.byProcess.get(key) ?? 0) + pss);
    } catch {
      // gone
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

function firstLines(path: string): string {
  const head = Buffer.alloc(4096);
  const fd = openSync(path, 'r');
  try {
    return head.toString('utf8', 0, readSync(fd, head));
  } finally {
    closeSync(fd);
  }
}

const seconds = (from?: string, to?: string) => (from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : NaN);
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? NaN));
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const rate = (rows: number, s: number) => (s > 0 ? Math.round(rows / s) : NaN);

async function waitFor<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new BenchmarkFailed(`${what}: not within ${deadlineMs / 1000} s`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function main() {
  const { values } = parseArgs({
    options: { rows: { type: 'string', default: '1000000' }, 'bad-share': { type: 'string', default: '0.01' }, seed: { type: 'string', default: '42' } },
  });
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 1) throw new BenchmarkFailed(`--rows must be a positive integer, got ${values.rows}`);

  const stack: RunningStack = await startLocalStack({ waitForSample: true, timeoutMs: 600_000, env: { LOCAL_POLL_MS: '200' } });
  let peak = { rss: 0, pss: 0 };
  let atPeak = new Map<string, number>();
  let sampler: NodeJS.Timeout | undefined;
  // The machine's 1-minute load average over the whole benchmark: its cores may be shared.
  const load1 = sampleLoadAverage();
  try {
    const file = join(stack.dir, 'bench.csv');
    const gen = await generate(file, { rows, badShare: Number(values['bad-share']), duplicateShare: 0.005, seed: Number(values.seed) });
    console.log(`generated ${gen.rows} rows (${gen.bad} bad, ${gen.duplicates} duplicates), ${(gen.bytes / 2 ** 20).toFixed(1)} MiB`);

    const stackPid = stack.info.pid;
    const sample = () => {
      const now = treeMemory(stackPid);
      if (now.pss > peak.pss) atPeak = now.byProcess;
      peak = { rss: Math.max(peak.rss, now.rss), pss: Math.max(peak.pss, now.pss) };
    };
    sample();
    // Once a second: one sample reads every process's smaps_rollup, which walks its page tables (55 ms of CPU for the
    // stack's ~36 processes here); four a second took a tenth of these 2 cores from the pipeline it measures.
    sampler = setInterval(sample, 1000);

    const runLog = runLogFor(stack.info);
    const key = `dailycheckin/2026-11-21/bench-${rows}.csv`;
    const target = join(stack.info.landingFolder, key);
    mkdirSync(dirname(target), { recursive: true });
    const partial = join(dirname(target), `.${basename(target)}.part`); // dot-files are uploads in progress
    copyFileSync(file, partial);
    // A user of the file's first row: the sample data has none of the generated names, so its rows answer only once
    // this file's rows are loaded.
    const probeUser = firstLines(file).split('\n', 3)[1]!.split(',')[0]!;
    const since = new Date().toISOString();
    const dropped = Date.now();
    renameSync(partial, target);

    // Queryable is when the API answers with the rows, probed from the drop on: the run ends later (its cost and
    // notification steps come after the load).
    let giveUpAt = Infinity;
    const queryable = waitFor('rows queryable', 60 * 60_000, async () => {
      if (Date.now() > giveUpAt) throw new BenchmarkFailed(`the rows of ${probeUser} are not queryable after the run ended`);
      const res = await apiFetch(stack.info, `/get?user=${encodeURIComponent(probeUser)}`);
      const body = (await res.json()) as { response?: unknown[] };
      return body.response?.length ? (Date.now() - dropped) / 1000 : undefined;
    }, 250);
    queryable.catch(() => {}); // awaited below; a failed run reports its own cause first
    const sourceUri = `s3://${stack.info.landingBucket}/${key}`;
    const id = await waitFor('ingestion recorded', 60_000, async () => (await runLog.forObject(sourceUri, { since, limit: 1 }))[0]?.ingestionId);
    const record: IngestionRecord = await waitFor('ingestion finished', 60 * 60_000, async () => {
      const r = await runLog.get(id);
      if (r?.summary.status === 'FAILED' || r?.summary.status === 'REJECTED') {
        giveUpAt = 0;
        throw new BenchmarkFailed(`ingestion ${id} ${r.summary.status} at ${r.summary.state}: ${r.summary.cause ?? ''}`);
      }
      return r?.summary.status === 'SUCCEEDED' ? r : undefined;
    }, 250);
    giveUpAt = Date.now() + 60_000;
    const queryableSeconds = await queryable;
    clearInterval(sampler);
    sampler = undefined;

    // The folder that stands for the data bucket holds the attempt's staged files as the jobs wrote them.
    const staging = attemptStagingUri(join(stack.info.dataFolder!, 'staging', 'dailycheckin', id), record.summary.attempt);
    if (!existsSync(join(staging, 'accepted'))) throw new BenchmarkFailed(`no accepted rows at ${staging}/accepted`);
    const python = join(repo, '.venv', 'bin', 'python');
    // A Spark stage timed with local[N] runs pinned to N cores (taskset): otherwise the JVM's GC and JIT threads use
    // the other core, and local[1] is not one core.
    const stage = async <T>(args: string[], env: Record<string, string> = {}, cores?: number): Promise<T> => {
      const command = [python, join(repo, 'bench', 'stages.py'), ...args];
      const pinned = cores ? ['taskset', '--cpu-list', `0-${cores - 1}`, ...command] : command;
      const { stdout } = await promisify(execFile)(pinned[0]!, pinned.slice(1), {
        env: { ...process.env, LANDING_ETL_LOCAL_S3: '/nonexistent', SPARK_LOCAL_IP: '127.0.0.1', ...env },
        maxBuffer: 1 << 24,
      });
      return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
    };
    type SparkRun = { seconds: number; rows: number; tasks: number; stages: number[] };
    const scratch = join(stack.dir, 'bench-stages');
    const spark: Record<string, Record<string, SparkRun>> = { transform: {}, test: {} };
    for (const cores of [1, 2]) {
      const env = { LANDING_ETL_SPARK_MASTER: `local[${cores}]` };
      spark.transform![cores] = await stage<SparkRun>(['transform', file, join(scratch, `transform-${cores}`)], env, cores);
      spark.test![cores] = await stage<SparkRun>(['test', join(staging, 'transformed'), join(scratch, `test-${cores}`)], env, cores);
    }
    type LoadRun = { seconds: number; rows: number };
    const loads = await stage<Record<string, LoadRun>>(['load', join(staging, 'accepted'), '1', '2'], { DATABASE_URL: stack.info.databaseUrl });
    const plain = loads.plain!;

    const lines: string[] = [];
    const out = (l: string) => (console.log(l), lines.push(l));
    out(`\n${rows} rows, ${(gen.bytes / 2 ** 20).toFixed(1)} MiB, ingestion ${id}`);
    out(`stage       job s   stage s   rows in    rows out   rows/s (job)   tasks`);
    const perStage: Record<string, { job: number; stage: number; rowsIn: number; rowsOut: number; tasks: number }> = {};
    for (const s of record.stages) {
      const m = s.metrics ?? {};
      const job = num(m.seconds);
      const st = { job, stage: seconds(s.startedAt, s.endedAt), rowsIn: num(m.rowsIn), rowsOut: num(m.rowsOut), tasks: num(m.partitions ?? m.connections) };
      perStage[s.stage] = st;
      out(`${s.stage.padEnd(10)} ${fmt(job).padStart(6)} ${fmt(st.stage).padStart(9)} ${String(st.rowsIn).padStart(9)} ${String(st.rowsOut).padStart(10)} ${String(rate(st.rowsIn, job)).padStart(13)} ${String(st.tasks).padStart(7)}`);
    }
    const load = perStage.load!;
    const plainRate = rate(plain.rows, plain.seconds);
    out(`drop → queryable: ${fmt(queryableSeconds)} s   peak memory of the stack's process tree: ${fmt(peak.pss / 2 ** 30, 2)} GiB (Pss; summed RSS ${fmt(peak.rss / 2 ** 30, 2)} GiB)`);
    const largest = [...atPeak].sort((x, y) => y[1] - x[1]).slice(0, 8);
    out(`Pss at the peak, largest first: ${largest.map(([name, bytes]) => `${name} ${fmt(bytes / 2 ** 30, 2)}`).join(', ')} GiB`);
    const speedup = (a: { seconds: number }, b: { seconds: number }) => a.seconds / b.seconds;
    for (const name of ['transform', 'test'] as const) {
      const [one, two] = [spark[name]![1]!, spark[name]![2]!];
      out(`${name.padEnd(10)} local[1] ${fmt(one.seconds)} s (${rate(one.rows, one.seconds)} rows/s)   local[2] ${fmt(two.seconds)} s (${rate(two.rows, two.seconds)} rows/s, ${two.tasks} tasks, stages ${two.stages.join('/')})   speed-up ${fmt(speedup(one, two), 2)}×`);
    }
    const [l1, l2] = [loads['1']!, loads['2']!];
    out(`load       1 connection (one COPY in the swap) ${fmt(l1.seconds)} s   2 connections (staged, then moved) ${fmt(l2.seconds)} s   speed-up ${fmt(speedup(l1, l2), 2)}×`);
    out(`plain COPY of the ${plain.rows} accepted rows into the same indexed table: ${fmt(plain.seconds, 2)} s = ${plainRate} rows/s; load with 1 connection (the default) ${rate(l1.rows, l1.seconds)} rows/s = ${fmt(plain.seconds / l1.seconds, 2)}× plain COPY, with 2 ${fmt(plain.seconds / l2.seconds, 2)}×; load job ${rate(load.rowsOut, load.job)} rows/s`);
    if (loads.plain2) out(`plain COPY over 2 connections at once into the same indexed table (rows visible before any swap): ${fmt(loads.plain2.seconds, 2)} s = ${fmt(plain.seconds / loads.plain2.seconds, 2)}× one`);

    const p = perStage;
    const r1 = (n: number) => Math.round(n * 10) / 10;
    const r2 = (n: number) => Math.round(n * 100) / 100;
    const gib = (bytes: number) => r2(bytes / 2 ** 30);
    recordRun('pipeline', {
      conditions: { rows, badShare: Number(values['bad-share']), seed: Number(values.seed) },
      figures: {
        mib: r1(gen.bytes / 2 ** 20),
        ...Object.fromEntries(
          (['transform', 'test', 'load'] as const).flatMap((s) => [
            [`${s}Seconds`, r1(p[s]!.job)],
            [`${s}StageSeconds`, r1(p[s]!.stage)],
            [`${s}Tasks`, p[s]!.tasks],
          ]),
        ),
        loadRowsPerSecond: rate(load.rowsOut, load.job),
        ...Object.fromEntries(
          (['transform', 'test'] as const).flatMap((s) => [
            [`${s}Local1Seconds`, r1(spark[s]![1]!.seconds)],
            [`${s}Local2Seconds`, r1(spark[s]![2]!.seconds)],
            [`${s}Speedup`, r2(speedup(spark[s]![1]!, spark[s]![2]!))],
          ]),
        ),
        load1ConnectionSeconds: r1(l1.seconds),
        load2ConnectionsSeconds: r1(l2.seconds),
        loadSpeedup: r2(speedup(l1, l2)),
        plainCopyRowsPerSecond: plainRate,
        plainCopy2ConnectionsSpeedup: loads.plain2 ? r2(plain.seconds / loads.plain2.seconds) : null,
        loadVsCopy: r2(plain.seconds / l1.seconds),
        queryableSeconds: r1(queryableSeconds),
        peakPssGiB: gib(peak.pss),
        peakRssGiB: gib(peak.rss),
      },
      loadAverage: load1.stop(),
    });
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
