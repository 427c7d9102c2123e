/** One JSON line per benchmark run in bench/results/<bench>.jsonl, in one shape for every benchmark, so
 *  docs/performance.md can be generated from the runs (bench/report.ts) and a run can be judged by the machine it
 *  ran on: a figure measured on 2 shared cores at a load average of 15 says little about the code.
 *
 *    const load = sampleLoadAverage();          // at the start: the 1-minute load average, read every second
 *    …measure…
 *    recordRun('pipeline', { conditions: { rows }, figures: { queryableSeconds }, loadAverage: load.stop() });
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../local/layout';

export const RESULTS_DIR = join(repoRoot, 'bench', 'results');

export interface LoadAverage {
  /** Lowest and highest 1-minute load average seen during the run. */
  min: number;
  max: number;
}

export interface BenchRun {
  bench: string;
  /** ISO-8601 time the run was recorded. */
  date: string;
  /** Short hash of HEAD; null for runs converted from records that did not name it. */
  commit: string | null;
  /** The measured sources differed from that commit. */
  uncommitted: boolean;
  /** null where a converted record did not give it. */
  machine: { cores: number; memoryGiB: number; node: string | null; loadAverage: LoadAverage | null };
  /** What the run was asked to do (rows, connections, …): runs are compared only under equal conditions. */
  conditions: Record<string, unknown>;
  /** What it measured. */
  figures: Record<string, unknown>;
  /** Converted runs only: what makes a figure incomparable with later runs. */
  note?: string;
  /** Converted runs only: the commit that recorded the run (not necessarily the one it measured). */
  recordedIn?: string;
}

export class BenchNameError extends Error {
  override name = 'BenchNameError';
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Starts reading the 1-minute load average once a second; stop() gives the range seen, the reading at stop included. */
export function sampleLoadAverage(): { stop(): LoadAverage } {
  const seen = { min: loadavg()[0]!, max: loadavg()[0]! };
  const read = () => {
    const now = loadavg()[0]!;
    seen.min = Math.min(seen.min, now);
    seen.max = Math.max(seen.max, now);
  };
  const timer = setInterval(read, 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      read();
      return { min: round2(seen.min), max: round2(seen.max) };
    },
  };
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
}

/** Appends one run to bench/results/<bench>.jsonl and returns it. `uncommittedPaths` are the sources the
 *  benchmark measures (default: everything but bench/results itself). */
export function recordRun(
  bench: string,
  run: { conditions: Record<string, unknown>; figures: Record<string, unknown>; loadAverage: LoadAverage; uncommittedPaths?: string[] },
): BenchRun {
  if (!/^[a-z][a-z0-9-]*$/.test(bench)) throw new BenchNameError(`benchmark name must be lowercase letters, digits and -, got ${JSON.stringify(bench)}`);
  const paths = run.uncommittedPaths ?? ['.', ':(exclude)bench/results'];
  const record: BenchRun = {
    bench,
    date: new Date().toISOString(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    uncommitted: git(['status', '--porcelain', '--', ...paths]).length > 0,
    machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverage: run.loadAverage },
    conditions: run.conditions,
    figures: run.figures,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  appendFileSync(join(RESULTS_DIR, `${bench}.jsonl`), `${JSON.stringify(record)}\n`);
  console.log(`recorded in bench/results/${bench}.jsonl; npm run docs:performance updates docs/performance.md`);
  return record;
}
