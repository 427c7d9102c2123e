import type { DatasetContract, Schedule } from './contracts';
import type { DatasetLog, RecentIngestion, RunFigures } from './dataset-log';
import { addDays, freshness, type Freshness } from './freshness';

/** GET /datasets and `landing-etl datasets`: per dataset its freshness against its schedule, its last success and last
 *  run, and 30 days of daily figures, all from the run log (docs/run-log.md). */

export const DAYS = 30;
/** How many runs' stage items are read at once (runs whose summary has no counts): one Query each. */
const FIGURE_READS = 8;

export interface DayFigures {
  /** A UTC day on which files arrived. */
  date: string;
  runs: number;
  rowsLoaded: number;
  rowsRejected: number;
  /** Rejected rows over the rows the test stage read (0 when it read none). */
  rejectRate: number;
  costUsd: number;
}

export interface DatasetView {
  name: string;
  description: string | null;
  schedule: Schedule | null;
  freshness: Freshness & { minutesSinceSuccess: number | null };
  lastSuccess: { ingestionId: string; businessDate: string; endedAt: string } | null;
  lastRun: { ingestionId: string; status: string; stage: string | null; error: string | null; endedAt: string | null } | null;
  days: DayFigures[];
}

export interface DatasetsView {
  generatedAt: string;
  datasets: DatasetView[];
}

/** What the checker and the views need of one dataset: its runs of the last 30 days, and what follows from them. */
export interface DatasetState {
  runs: RecentIngestion[];
  freshness: Freshness;
  lastSuccess: RecentIngestion | undefined;
  minutesSinceSuccess: number | null;
}

/** The first UTC day of the 30 that end today. */
export const windowStart = (now: Date) => addDays(now.toISOString().slice(0, 10), -(DAYS - 1));

const latest = (runs: RecentIngestion[], key: (r: RecentIngestion) => string | undefined) =>
  runs.filter(key).sort((a, b) => key(b)!.localeCompare(key(a)!))[0];

export async function datasetState(contract: DatasetContract, log: DatasetLog, now: Date): Promise<DatasetState> {
  const since = windowStart(now);
  const runs = await log.received(contract.name, since, now);
  const lastSuccess =
    latest(
      runs.filter((r) => r.status === 'SUCCEEDED'),
      (r) => r.endedAt,
    ) ?? (await log.lastSuccessBefore(contract.name, since));
  return {
    runs,
    // A rejected object is not the dataset's file; one that failed later still arrived.
    freshness: freshness(contract.schedule, now, runs.filter((r) => r.status !== 'REJECTED')),
    lastSuccess,
    minutesSinceSuccess: lastSuccess ? Math.max(0, Math.floor((now.getTime() - Date.parse(lastSuccess.endedAt!)) / 60_000)) : null,
  };
}

/** The figures of every ended run. The Glue jobs copy their counts onto the summary (landing_etl/runlog.py), so the
 *  index's items already hold them; only a run recorded before they did is read in full, FIGURE_READS at a time.
 *  One Query per run made the view of a busy month take seconds (bench:console, 820 runs: 4.6–9.1 s). */
async function figuresOf(runs: RecentIngestion[], log: DatasetLog): Promise<Map<string, RunFigures>> {
  const ended = runs.filter((r) => r.status === 'SUCCEEDED' || r.status === 'FAILED');
  const figures = new Map<string, RunFigures>();
  const unsummarised: RecentIngestion[] = [];
  for (const r of ended) {
    if (r.rowsIn === undefined) unsummarised.push(r);
    else figures.set(r.ingestionId, { rowsTested: r.rejected === undefined ? 0 : r.rowsIn, rowsRejected: r.rejected ?? 0, rowsLoaded: r.rowsLoaded ?? 0, costUsd: r.costUsd ?? 0 });
  }
  for (let i = 0; i < unsummarised.length; i += FIGURE_READS) {
    const batch = unsummarised.slice(i, i + FIGURE_READS);
    const read = await Promise.all(batch.map((r) => log.figures(r.ingestionId)));
    batch.forEach((r, j) => figures.set(r.ingestionId, read[j]!));
  }
  return figures;
}

function dailyFigures(runs: RecentIngestion[], figures: Map<string, RunFigures>, now: Date): DayFigures[] {
  const first = windowStart(now);
  const days = Array.from({ length: DAYS }, (_, i) => ({ date: addDays(first, i), runs: 0, rowsLoaded: 0, rowsRejected: 0, rowsTested: 0, costUsd: 0 }));
  const byDate = new Map(days.map((d) => [d.date, d]));
  for (const run of runs) {
    const day = byDate.get(run.receivedAt.slice(0, 10));
    if (!day) continue;
    const f = figures.get(run.ingestionId);
    day.runs += 1;
    day.rowsLoaded += run.status === 'SUCCEEDED' ? (f?.rowsLoaded ?? 0) : 0;
    day.rowsRejected += f?.rowsRejected ?? 0;
    day.rowsTested += f?.rowsTested ?? 0;
    day.costUsd += run.costUsd ?? f?.costUsd ?? 0;
  }
  return days.map(({ rowsTested, ...d }) => ({
    ...d,
    rejectRate: rowsTested > 0 ? d.rowsRejected / rowsTested : 0,
    costUsd: Math.round(d.costUsd * 1e6) / 1e6,
  }));
}

export async function datasetView(contract: DatasetContract, log: DatasetLog, now: Date): Promise<DatasetView> {
  const state = await datasetState(contract, log, now);
  const lastRun = latest(state.runs, (r) => r.receivedAt);
  const { lastSuccess } = state;
  return {
    name: contract.name,
    description: contract.description ?? null,
    schedule: contract.schedule ?? null,
    freshness: { ...state.freshness, minutesSinceSuccess: state.minutesSinceSuccess },
    lastSuccess: lastSuccess ? { ingestionId: lastSuccess.ingestionId, businessDate: lastSuccess.businessDate, endedAt: lastSuccess.endedAt! } : null,
    lastRun: lastRun
      ? { ingestionId: lastRun.ingestionId, status: lastRun.status, stage: lastRun.stage ?? null, error: lastRun.error ?? null, endedAt: lastRun.endedAt ?? null }
      : null,
    days: dailyFigures(state.runs, await figuresOf(state.runs, log), now),
  };
}

/** Every dataset with a contract, in name order. */
export async function datasetsView(contracts: Map<string, DatasetContract>, log: DatasetLog, now: Date): Promise<DatasetsView> {
  const names = [...contracts.keys()].sort();
  return {
    generatedAt: now.toISOString(),
    datasets: await Promise.all(names.map((n) => datasetView(contracts.get(n)!, log, now))),
  };
}
