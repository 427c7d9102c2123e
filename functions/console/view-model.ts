/** What the operator page shows, computed from the API's documents: pure functions the page's views render and the
 *  unit tests check. No DOM here. */
import type { QualityReport } from '../ingestions/report';
import { retryCommand } from '../shared/commands';
import type { DatasetsView, DatasetView, DayFigures } from '../shared/datasets-view';
import type { IngestionView, ReplayView, StageView, SummaryView } from '../shared/ingestion-view';
import { visibleText } from '../shared/visible-text';

/** GET /datasets: every dataset with a contract, its freshness and 30 days of daily figures. */
export type DatasetsResponse = DatasetsView;
export type DatasetEntry = DatasetView;
export type { DayFigures };
export type { QualityReport };

/** An instant as people read it here: in UTC, and in the browser's own zone when that differs. */
export function instant(iso: string | undefined | null, zone: string): { utc: string; local: string | null } | null {
  if (!iso) return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  const utc = `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  if (zone === 'UTC' || zone === 'Etc/UTC') return { utc, local: null };
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const part = (t: string) => local.find((p) => p.type === t)?.value ?? '';
  // The zone by its name: short names (EST, GMT-5) differ between ICU builds and say less.
  return { utc, local: `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')} ${zone}` };
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function minutes(total: number | null | undefined): string {
  if (total === null || total === undefined) return '';
  if (total < 60) return `${Math.round(total)} min`;
  const h = Math.floor(total / 60);
  if (h < 48) return `${h} h ${Math.round(total % 60)} min`;
  return `${Math.floor(h / 24)} days ${h % 24} h`;
}

export const usd = (n: number | undefined | null) => (n === undefined || n === null ? '' : `$${n.toFixed(4)}`);
export const count = (n: number | undefined | null) => (n === undefined || n === null ? '' : n.toLocaleString('en-US'));

/** The run log's statuses (functions/shared/run-log.ts INGESTION_STATUSES, which the page's bundle does not load). */
export const STATUSES = ['RECEIVED', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'REJECTED'] as const;
/** Started or starting; QUEUED is waiting for an admission slot, which is not running yet. */
export const RUNNING_STATUSES = new Set(['RECEIVED', 'RUNNING']);
export const isRunning = (s: Pick<SummaryView, 'status'>) => RUNNING_STATUSES.has(s.status);
export const isWaiting = (s: Pick<SummaryView, 'status'>) => s.status === 'QUEUED';
/** Not ended yet: what the page follows live. */
export const isInFlight = (s: Pick<SummaryView, 'status'>) => isRunning(s) || isWaiting(s);

/** What an ingestion not yet ended is doing, in words: waiting for a slot since when, or running at a state. */
export function progress(s: SummaryView): { text: string; since: string | null } | null {
  if (isWaiting(s)) return { text: 'waiting for an admission slot since', since: s.queuedAt ?? s.updatedAt };
  if (isRunning(s)) return { text: `at ${s.state}`, since: null };
  return null;
}

/** A replay's ingestion: what it re-runs and the replay that started it, its reason as typed but with control
 *  characters shown as escapes. */
export function replayFacts(s: SummaryView, replay: ReplayView | undefined) {
  if (!s.replayOf) return null;
  return {
    replayOf: s.replayOf,
    replayId: s.replayId ?? '',
    requestedBy: replay?.requestedBy ?? '',
    requestedAt: replay?.requestedAt,
    reason: replay ? visibleText(replay.reason) : '',
    range: replay ? `${replay.from} to ${replay.to}, ${replay.versions === 'latest' ? 'latest versions' : 'the versions ingested'}, ${replay.ingestionCount} ingestion${replay.ingestionCount === 1 ? '' : 's'}` : '',
  };
}

/** Where a run stopped and why, for a failed or rejected one. */
export function failure(s: SummaryView): { stage: string; reason: string } | null {
  if (s.status !== 'FAILED' && s.status !== 'REJECTED') return null;
  return { stage: s.stage ?? (s.status === 'REJECTED' ? 'landing' : ''), reason: [s.error, s.cause].filter(Boolean).join(': ') };
}

/** The command that re-runs a failed ingestion; `target` names a deployed stage (`--stage dev --region …`). */
export const retryOf = (s: SummaryView, target: string): string | null => (s.status === 'FAILED' ? retryCommand(s.ingestionId, target) : null);

/** One row of the ingestions list. */
export interface IngestionRow {
  id: string;
  dataset: string;
  businessDate: string;
  status: string;
  receivedAt: string;
  /** Since when a QUEUED one waits for a slot. */
  waitingSince: string | null;
  /** The ingestion a replay's re-runs. */
  replayOf: string;
  failedStage: string;
  reason: string;
  duration: string;
  rowsIn: string;
  accepted: string;
  rejected: string;
  duplicates: string;
  attempts: string;
}

export function ingestionRow(s: SummaryView): IngestionRow {
  const f = failure(s);
  return {
    id: s.ingestionId,
    dataset: s.dataset,
    businessDate: s.businessDate,
    status: s.status,
    receivedAt: s.receivedAt,
    waitingSince: isWaiting(s) ? (s.queuedAt ?? s.updatedAt) : null,
    replayOf: s.replayOf ?? '',
    failedStage: f?.stage ?? '',
    reason: f?.reason ?? '',
    duration: duration(s.durationSeconds),
    rowsIn: count(s.rowsIn),
    accepted: count(s.accepted),
    rejected: count(s.rejected),
    duplicates: count(s.duplicateRows),
    attempts: String(s.attempt),
  };
}

const metric = (s: StageView, key: string) => (typeof s.metrics?.[key] === 'number' ? (s.metrics[key] as number) : undefined);

/** One step of an ingestion's timeline: a stage of one attempt. */
export interface TimelineStep {
  attempt: number;
  stage: string;
  status: string;
  startedAt: string | undefined;
  duration: string;
  rowsIn: string;
  rowsOut: string;
  rejected: string;
  glueRunId: string;
  dpuSeconds: string;
  cost: string;
  logs: { output: string; error: string } | null;
  error: string;
}

function step(attempt: number, s: StageView): TimelineStep {
  return {
    attempt,
    stage: s.stage,
    status: s.status,
    startedAt: s.startedAt,
    duration: duration(s.durationSeconds),
    rowsIn: count(metric(s, 'rowsIn')),
    rowsOut: count(metric(s, 'rowsOut') ?? metric(s, 'accepted')),
    rejected: count(metric(s, 'rejected')),
    glueRunId: s.glueRunId ?? '',
    dpuSeconds: s.dpuSeconds === undefined ? '' : String(s.dpuSeconds),
    cost: usd(s.costUsd),
    logs: s.logs ?? null,
    error: s.status === 'FAILED' ? [s.error, s.cause].filter(Boolean).join(': ') : '',
  };
}

/** Every stage of every attempt, the earliest attempt first. */
export function timeline(view: IngestionView): TimelineStep[] {
  return [
    ...view.attempts.flatMap((a) => a.stages.map((s) => step(a.attempt, s))),
    ...view.stages.map((s) => step(view.summary.attempt, s)),
  ];
}

/** A log link as the page shows it: CloudWatch on AWS; locally a file path, which a browser cannot open from a page,
 *  so it is shown as text to copy. */
export function logLink(target: string): { href: string | null; text: string } {
  if (/^https:\/\//.test(target)) return { href: target, text: 'CloudWatch' };
  return { href: null, text: target.replace(/^file:\/\//, '') };
}

/** The quality report's rules, the failing ones first, each with its first example. */
export function rejectsByRule(report: QualityReport) {
  return [...report.rules]
    .sort((a, b) => b.failed - a.failed)
    .map((r) => ({ rule: r.rule, severity: r.severity, failed: r.failed, checked: r.checked, examples: r.examples }));
}

export const FRESHNESS_LABEL: Record<DatasetEntry['freshness']['status'], string> = {
  fresh: 'fresh',
  awaiting: 'awaiting today’s file',
  missing: 'missing',
  late: 'arrived late',
  unscheduled: 'no schedule',
};

/** The freshness line of a dataset: its status in words and how old its data is. */
export function freshnessText(d: DatasetEntry): string {
  const f = d.freshness;
  const parts = [FRESHNESS_LABEL[f.status] ?? f.status];
  if (f.businessDate && f.status !== 'unscheduled') parts.push(`for ${f.businessDate}`);
  if (f.status === 'late' && f.lateByMinutes !== undefined) parts.push(`(${minutes(f.lateByMinutes)} late)`);
  if (f.minutesSinceSuccess !== null) parts.push(`· last success ${minutes(f.minutesSinceSuccess)} ago`);
  else parts.push('· never succeeded');
  return parts.join(' ');
}

/** The series of a dataset's charts: x in seconds since the epoch (uPlot's scale), one value per day. */
export function chartSeries(days: DayFigures[]) {
  return {
    x: days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000),
    rowsLoaded: days.map((d) => d.rowsLoaded),
    rejectPercent: days.map((d) => Math.round(d.rejectRate * 10000) / 100),
    costUsd: days.map((d) => d.costUsd),
  };
}

/** What a chart says to someone who cannot see it. */
export function chartSummary(days: DayFigures[]): string {
  const loaded = days.reduce((n, d) => n + d.rowsLoaded, 0);
  const rejected = days.reduce((n, d) => n + d.rowsRejected, 0);
  const cost = days.reduce((n, d) => n + d.costUsd, 0);
  const withRuns = days.filter((d) => d.runs > 0).length;
  return `${days.length} days: ${count(loaded)} rows loaded, ${count(rejected)} rejected, runs on ${withRuns} days, ${usd(cost)} in Glue cost`;
}
