import type { Replay } from './replay';
import type { AttemptRecord, IngestionRecord, IngestionSummary, StageRecord } from './run-log';

/** What people see of the run log (the CLI's --json, GET /ingestions): the recorded attributes plus durations,
 *  without the internal execution input. */
export type SummaryView = Omit<IngestionSummary, 'executionInput'> & { durationSeconds: number | null };
export type StageView = StageRecord & { durationSeconds: number | null };
export interface IngestionView {
  summary: SummaryView;
  stages: StageView[];
  attempts: Array<Omit<AttemptRecord, 'stages'> & { durationSeconds: number | null; stages: StageView[] }>;
  /** A replay's ingestion: the replay that started it (who asked, why, the range), without its list of ingestions. */
  replay?: ReplayView;
}
export type ReplayView = Omit<Replay, 'ingestions'> & { ingestionCount: number };

export const replayView = ({ ingestions, ...replay }: Replay): ReplayView => ({ ...replay, ingestionCount: ingestions.length });

export function durationSeconds(startedAt: string | undefined, endedAt: string | undefined): number | null {
  if (!startedAt || !endedAt) return null;
  return Math.round(Date.parse(endedAt) - Date.parse(startedAt)) / 1000;
}

const stageView = (s: StageRecord): StageView => ({ ...s, durationSeconds: durationSeconds(s.startedAt, s.endedAt) });

export function summaryView({ executionInput: _, ...summary }: IngestionSummary): SummaryView {
  return { ...summary, durationSeconds: durationSeconds(summary.startedAt, summary.endedAt) };
}

export function ingestionView(record: IngestionRecord, replay?: Replay): IngestionView {
  return {
    ...(replay ? { replay: replayView(replay) } : {}),
    summary: summaryView(record.summary),
    stages: record.stages.map(stageView),
    attempts: record.attempts.map((a) => ({ ...a, durationSeconds: durationSeconds(a.startedAt, a.endedAt), stages: a.stages.map(stageView) })),
  };
}
