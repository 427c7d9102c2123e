import { retryCommand } from '../functions/shared/commands';
import type { DatasetsView, DatasetView } from '../functions/shared/datasets-view';
import type { IngestionView, StageView, SummaryView } from '../functions/shared/ingestion-view';
import { visibleText } from '../functions/shared/visible-text';

/** Left-aligned columns separated by two spaces; empty cells print as "-". */
export function table(headers: string[], rows: string[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => c || '-'))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

const seconds = (s: number | null) => (s === null ? '' : `${s.toFixed(1)}s`);
const usd = (n: number | undefined) => (n === undefined ? '' : `$${n.toFixed(4)}`);
const time = (iso: string | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');
const metric = (s: StageView, ...keys: string[]) => {
  for (const k of keys) if (typeof s.metrics?.[k] === 'number') return String(s.metrics[k]);
  return '';
};

function stagesTable(stages: StageView[]): string {
  return table(
    ['STAGE', 'STATUS', 'STARTED', 'DURATION', 'ROWS IN', 'ROWS OUT', 'REJECTED', 'DPU-S', 'COST', 'ERROR'],
    stages.map((s) => [
      s.stage,
      s.status,
      time(s.startedAt),
      seconds(s.durationSeconds),
      metric(s, 'rowsIn'),
      metric(s, 'rowsOut', 'accepted'),
      metric(s, 'rejected'),
      s.dpuSeconds === undefined ? '' : String(s.dpuSeconds),
      usd(s.costUsd),
      s.status === 'FAILED' ? `${s.error ?? ''}: ${s.cause ?? ''}` : '',
    ]),
  );
}

/** Where a run is: a QUEUED one waits for an admission slot (since when), any other is at its state. */
const whereNow = (s: SummaryView) => (s.status === 'QUEUED' ? `waiting for an admission slot since ${time(s.queuedAt ?? s.updatedAt)}` : `at ${s.state}`);

export function formatIngestion({ summary: s, stages, attempts, replay }: IngestionView, target: string): string {
  const lines = [
    `ingestion  ${s.ingestionId}`,
    `dataset    ${s.dataset} (business date ${s.businessDate})${s.ingestedTable ? ` → ${s.ingestedTable}` : ''}`,
    `source     ${visibleText(s.sourceUri)}${s.sourceVersion ? ` (version ${s.sourceVersion})` : ''}`,
    `status     ${s.status} ${whereNow(s)}, attempt ${s.attempt}${s.durationSeconds === null ? '' : ` (${seconds(s.durationSeconds)})`}`,
    `received   ${time(s.receivedAt)}${s.duplicates ? ` (+${s.duplicates} duplicate deliveries ignored)` : ''}`,
  ];
  if (s.replayOf) {
    lines.push(`replay of  ${s.replayOf} (replay ${s.replayId ?? ''}${replay ? ` by ${replay.requestedBy} at ${time(replay.requestedAt)}, ${replay.from} to ${replay.to}` : ''})`);
    if (replay) lines.push(`reason     ${visibleText(replay.reason)}`);
  }
  if (s.status === 'FAILED' || s.status === 'REJECTED') lines.push(`reason     ${s.stage ? `${s.stage}: ` : ''}${s.error}: ${s.cause}`);
  if (s.status === 'FAILED') lines.push(`retry      ${retryCommand(s.ingestionId, target)}`);
  if (s.costUsd !== undefined) lines.push(`cost       ${usd(s.costUsd)} at list price (${s.dpuSeconds ?? 0} DPU-seconds, every attempt)`);
  const logged = stages.filter((st) => st.logs);
  if (logged.length > 0) lines.push('logs', ...logged.map((st) => `  ${st.stage.padEnd(9)}  ${st.glueRunId ?? ''}  ${st.logs!.output}${st.logs!.error !== st.logs!.output ? `  ${st.logs!.error}` : ''}`));
  if (stages.length > 0) lines.push('', stagesTable(stages));
  for (const a of [...attempts].reverse()) {
    lines.push('', `attempt ${a.attempt}: ${a.status} at ${a.state}${a.cause ? ` — ${a.error}: ${a.cause}` : ''}`);
    if (a.stages.length > 0) lines.push(stagesTable(a.stages).replace(/^/gm, '  '));
  }
  return lines.join('\n');
}

export function formatRuns(items: SummaryView[]): string {
  if (items.length === 0) return 'no ingestions';
  return table(
    ['RECEIVED', 'STATUS', 'STATE', 'ATTEMPT', 'DURATION', 'INGESTION', 'REPLAY OF', 'SOURCE'],
    items.map((s) => [
      time(s.receivedAt),
      s.status,
      s.status === 'QUEUED' ? `waiting since ${time(s.queuedAt ?? s.updatedAt)}` : s.state,
      String(s.attempt),
      seconds(s.durationSeconds),
      s.ingestionId,
      s.replayOf ?? '',
      visibleText(s.sourceUri),
    ]),
  );
}

const age = (minutes: number | null) =>
  minutes === null ? '' : minutes < 120 ? `${minutes} min ago` : minutes < 2880 ? `${Math.floor(minutes / 60)} h ago` : `${Math.floor(minutes / 1440)} days ago`;

function freshnessText({ freshness: f, schedule }: DatasetView): string {
  if (f.status === 'late') return `${f.lateByMinutes} min late`;
  if (f.status === 'missing') return `not by ${schedule!.due} + ${schedule!.graceMinutes} min`;
  if (f.status === 'awaiting') return `grace until ${schedule!.due} + ${schedule!.graceMinutes} min`;
  return '';
}

/** `landing-etl datasets`: what GET /datasets says, one line per dataset, then the last 7 days of figures. */
export function formatDatasets({ datasets }: DatasetsView): string {
  if (datasets.length === 0) return 'no datasets';
  const summary = table(
    ['DATASET', 'FRESHNESS', 'BUSINESS DATE', 'DUE', 'NOTE', 'LAST SUCCESS', 'LAST RUN'],
    datasets.map((d) => [
      d.name,
      d.freshness.status,
      d.freshness.businessDate ?? '',
      time(d.freshness.dueAt ?? undefined),
      freshnessText(d),
      d.lastSuccess ? `${d.lastSuccess.businessDate} (${age(d.freshness.minutesSinceSuccess)})` : '',
      d.lastRun ? `${d.lastRun.status}${d.lastRun.stage && d.lastRun.status === 'FAILED' ? ` at ${d.lastRun.stage}` : ''}` : '',
    ]),
  );
  const days = datasets.map(
    (d) =>
      `${d.name}, last 7 days (UTC, by arrival):\n` +
      table(
        ['DAY', 'RUNS', 'ROWS LOADED', 'REJECTED', 'REJECT RATE', 'COST USD'],
        d.days.slice(-7).map((x) => [x.date, String(x.runs), String(x.rowsLoaded), String(x.rowsRejected), `${(x.rejectRate * 100).toFixed(1)}%`, x.costUsd.toFixed(4)]),
      ).replace(/^/gm, '  '),
  );
  return [summary, ...days].join('\n\n');
}
