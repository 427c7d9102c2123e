import { readFileSync } from 'node:fs';
import type { BenchRun } from '../../bench/record';
import { BenchNameError, recordRun } from '../../bench/record';
import { END, PERFORMANCE_DOC, PerformanceDocError, START, readRuns, renderTable, withTable } from '../../bench/report';

const run = (date: string, rows: number, queryableSeconds: number): BenchRun => ({
  bench: 'pipeline',
  date,
  commit: 'abc1234',
  uncommitted: false,
  machine: { cores: 2, memoryGiB: 24, node: 'v22.23.3', loadAverage: { min: 1.5, max: 2.5 } },
  conditions: { rows },
  figures: { queryableSeconds },
});
const queryableRow = (table: string) => table.split('\n').find((l) => l.startsWith('| 1M rows: drop → queryable'));

describe('docs/performance.md', () => {
  it('holds the table the recorded runs give (npm run docs:performance writes it)', () => {
    const doc = readFileSync(PERFORMANCE_DOC, 'utf8');
    expect(doc).toBe(withTable(doc, renderTable(readRuns())));
  });

  it('judges each target on the latest run under its conditions, naming the run', () => {
    const table = renderTable([run('2026-11-30T05:06:00Z', 1_000_000, 20), run('2026-12-01T10:00:00Z', 1_000_000, 30), run('2026-12-02T10:00:00Z', 100_000, 5)]);
    expect(queryableRow(table)).toBe('| 1M rows: drop → queryable | ≤ 25 s | 30 s | **not met** | 2026-12-01 · `abc1234` · 2 cores, load 1.5–2.5 |');
    expect(table).toContain('| 10M rows: stack peak memory | ≤ 4 GiB | no run |');
  });

  it('says when the latest run did not measure a figure', () => {
    expect(renderTable([run('2026-12-01T10:00:00Z', 1_000_000, 20)])).toContain('| 1M rows: load job | ≥ 150,000 rows/s | not measured |');
  });

  it('is refused without its markers', () => {
    expect(() => withTable(`# Performance\n${END}\n${START}\n`, '| t |')).toThrow(PerformanceDocError);
  });
});

describe('a benchmark run record', () => {
  it('refuses a name that is no file name before writing anything', () => {
    expect(() => recordRun('../pipeline', { conditions: {}, figures: {}, loadAverage: { min: 0, max: 0 } })).toThrow(BenchNameError);
  });
});
