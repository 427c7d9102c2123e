/** npm run docs:performance — writes the table of docs/performance.md (between its markers) from the latest run of
 *  each benchmark in bench/results/*.jsonl, each figure against its target. test/unit/performance-doc.test.ts fails
 *  when the table in the file is not what this renders. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../local/layout';
import { RESULTS_DIR, type BenchRun } from './record';

export const PERFORMANCE_DOC = join(repoRoot, 'docs', 'performance.md');
export const START = '<!-- performance-table:start (npm run docs:performance writes this table) -->';
export const END = '<!-- performance-table:end -->';

export class PerformanceDocError extends Error {
  override name = 'PerformanceDocError';
}

interface Target {
  bench: string;
  /** The conditions a run must have been measured under (a subset of its `conditions`). */
  where: Record<string, unknown>;
  figure: string;
  value: (figures: Record<string, unknown>) => number | null | undefined;
  at: 'most' | 'least';
  limit: number;
  unit: string;
}

type Page = { limit: number; api: { errors: number }; throughputRatio: number; p99Ratio: number };
type Fn = { initMs?: { median: number } };
const figure = (name: string) => (f: Record<string, unknown>) => f[name] as number | null | undefined;
const page = (limit: number, pick: (p: Page) => number) => (f: Record<string, unknown>) => {
  const p = (f.pages as Page[] | undefined)?.find((x) => x.limit === limit);
  return p && pick(p);
};
const shippedInit = (fn: string) => (f: Record<string, unknown>) => {
  const variant = (f.shipped as Record<string, string | null> | undefined)?.[fn];
  return variant ? (f.functions as Record<string, Record<string, Fn>>)[fn]?.[variant]?.initMs?.median : undefined;
};
const peak = (f: Record<string, unknown>) => (f.peakPssGiB ?? f.peakRssGiB) as number | undefined;

const M1 = { rows: 1_000_000 };
const M10 = { rows: 10_000_000 };
const API = { rows: 2_000_000, connections: 50 };
// The backfill of issue-sized limits: 60 files, every job's MaxConcurrentRuns 2, the account's 4, GetJobRun 4/s, 5 slots.
const BACKFILL = { files: 60, jobConcurrentRuns: 2, accountConcurrentRuns: 4, getJobRunPerSecond: 4, slots: 5 };
export const TARGETS: Target[] = [
  { bench: 'pipeline', where: M1, figure: '1M rows: drop → queryable', value: figure('queryableSeconds'), at: 'most', limit: 25, unit: 's' },
  { bench: 'pipeline', where: M1, figure: '1M rows: stack peak memory', value: peak, at: 'most', limit: 4, unit: 'GiB' },
  { bench: 'pipeline', where: M1, figure: '1M rows: load job', value: figure('loadRowsPerSecond'), at: 'least', limit: 150_000, unit: 'rows/s' },
  { bench: 'pipeline', where: M1, figure: '1M rows: load ÷ plain COPY', value: figure('loadVsCopy'), at: 'least', limit: 0.8, unit: '×' },
  { bench: 'pipeline', where: M10, figure: '10M rows: transform, 2 cores ÷ 1', value: figure('transformSpeedup'), at: 'least', limit: 1.7, unit: '×' },
  { bench: 'pipeline', where: M10, figure: '10M rows: test, 2 cores ÷ 1', value: figure('testSpeedup'), at: 'least', limit: 1.7, unit: '×' },
  { bench: 'pipeline', where: M10, figure: '10M rows: load, 2 connections ÷ 1', value: figure('loadSpeedup'), at: 'least', limit: 1.5, unit: '×' },
  { bench: 'pipeline', where: M10, figure: '10M rows: stack peak memory', value: peak, at: 'most', limit: 4, unit: 'GiB' },
  ...[20, 100].flatMap((limit): Target[] => [
    { bench: 'api', where: API, figure: `GET /get, ${limit} rows a page: req/s ÷ baseline`, value: page(limit, (p) => p.throughputRatio), at: 'least', limit: 0.8, unit: '×' },
    { bench: 'api', where: API, figure: `GET /get, ${limit} rows a page: p99 ÷ baseline`, value: page(limit, (p) => p.p99Ratio), at: 'most', limit: 1.25, unit: '×' },
    { bench: 'api', where: API, figure: `GET /get, ${limit} rows a page: errors`, value: page(limit, (p) => p.api.errors), at: 'most', limit: 0, unit: '' },
  ]),
  ...['executor', 'ingestions', 'query'].map((fn): Target => ({
    bench: 'lambda', where: {}, figure: `${fn} λ: module initialisation, median`, value: shippedInit(fn), at: 'most', limit: 150, unit: 'ms',
  })),
  { bench: 'console', where: { ingestions: 10_000 }, figure: 'operator page, ingestions view of 10,000: median', value: (f) => (f.views as Record<string, { medianMs: number }> | undefined)?.ingestions?.medianMs, at: 'most', limit: 1000, unit: 'ms' },
  { bench: 'backfill', where: BACKFILL, figure: '60-file backfill: throughput ÷ the limits\' ideal', value: figure('throughputOfIdeal'), at: 'least', limit: 0.8, unit: '×' },
  { bench: 'backfill', where: BACKFILL, figure: '60-file backfill: stage failures', value: figure('stageFailures'), at: 'most', limit: 0, unit: '' },
  { bench: 'backfill', where: BACKFILL, figure: '60-file backfill: zombie Glue runs', value: figure('zombies'), at: 'most', limit: 0, unit: '' },
];

export function readRuns(dir = RESULTS_DIR): BenchRun[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line, i) => {
          try {
            return JSON.parse(line) as BenchRun;
          } catch {
            throw new PerformanceDocError(`bench/results/${f} line ${i + 1} is not JSON`);
          }
        }),
    );
}

const matches = (run: BenchRun, t: Target) => run.bench === t.bench && Object.entries(t.where).every(([k, v]) => run.conditions[k] === v);
const number = (n: number, unit: string) => `${n.toLocaleString('en-GB', { maximumFractionDigits: 2 })}${unit && unit !== '×' ? ` ${unit}` : unit}`;

function runCell(run: BenchRun): string {
  const commit = run.commit ? `\`${run.commit}\`${run.uncommitted ? '+' : ''}` : run.recordedIn ? `(recorded in \`${run.recordedIn}\`)` : '';
  const load = run.machine.loadAverage;
  const machine = `${run.machine.cores} cores${load ? `, load ${load.min === load.max ? load.min : `${load.min}–${load.max}`}` : ''}`;
  return [run.date.slice(0, 10), commit, machine].filter(Boolean).join(' · ');
}

/** The table: each target with the figure of the latest run of its benchmark measured under its conditions. */
export function renderTable(runs: BenchRun[]): string {
  const rows = TARGETS.map((t) => {
    const run = runs.filter((r) => matches(r, t)).sort((a, b) => a.date.localeCompare(b.date)).at(-1);
    const target = `${t.at === 'most' ? '≤' : '≥'} ${number(t.limit, t.unit)}`;
    if (!run) return `| ${t.figure} | ${target} | no run | – | – |`;
    const v = t.value(run.figures);
    if (v === null || v === undefined) return `| ${t.figure} | ${target} | not measured | – | ${runCell(run)} |`;
    const met = t.at === 'most' ? v <= t.limit : v >= t.limit;
    return `| ${t.figure} | ${target} | ${number(v, t.unit)} | ${met ? 'met' : '**not met**'} | ${runCell(run)} |`;
  });
  return ['| figure | target | latest | | run (date · commit · machine) |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** The document with its table replaced by `table`. */
export function withTable(doc: string, table: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new PerformanceDocError(`docs/performance.md must hold the markers ${START} and ${END}, in that order`);
  return `${doc.slice(0, start + START.length)}\n${table}\n${doc.slice(end)}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const doc = readFileSync(PERFORMANCE_DOC, 'utf8');
  const next = withTable(doc, renderTable(readRuns()));
  writeFileSync(PERFORMANCE_DOC, next);
  console.log(next === doc ? 'docs/performance.md is current' : 'docs/performance.md: table rewritten');
}
