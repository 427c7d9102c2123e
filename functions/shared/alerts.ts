import type { BacklogSummary } from './backlog';
import { retryCommand } from './commands';
import { executionInputSchema } from './execution';
import type { IngestionRecord, Stage, StageRecord } from './run-log';
import { snsSubject } from './sns-subject';
import { stagedOutputs } from './staging-zone';

/** One message to the alerts topic: what SNS's Subject and Message carry. */
export interface Alert {
  subject: string;
  message: Record<string, unknown>;
}

/** How a run ended, as the state machine reports it (its failure as it recorded it, should the run log lack it). */
export interface RunEnd {
  outcome: 'SUCCEEDED' | 'FAILED';
  failure?: { stage: string; error: string; cause: string } | undefined;
}

/** The counts each stage's message shows, by the name the message gives them → the metric the job records
 *  (glue-scripts/landing_etl/runlog.py). The test stage's rows out are the rows it accepted. */
export const STAGE_COUNTS: Record<Stage, Record<string, string>> = {
  transform: { rowsIn: 'rowsIn', rowsOut: 'rowsOut' },
  test: { rowsIn: 'rowsIn', accepted: 'rowsOut', rejected: 'rejected', duplicates: 'duplicates' },
  load: { rowsOut: 'rowsOut' },
};

const orNull = <T>(v: T | undefined) => (v === undefined ? null : v);

function stageFigures(s: StageRecord | undefined, stage: Stage) {
  const metrics = s?.metrics ?? {};
  return {
    startedAt: orNull(s?.startedAt),
    endedAt: orNull(s?.endedAt),
    jobSeconds: orNull(s?.jobSeconds),
    ...Object.fromEntries(Object.entries(STAGE_COUNTS[stage]).map(([name, metric]) => [name, typeof metrics[metric] === 'number' ? metrics[metric] : null])),
    dpuSeconds: orNull(s?.dpuSeconds),
    costUsd: orNull(s?.costUsd),
    logs: s?.logs ?? { output: '', error: '' },
  };
}

/** The alert for an ingestion's end: its counts and durations per stage when it succeeded; where and why it stopped,
 *  and the command that runs it again in the stage it ran in (`cliTarget`), when it failed. */
export function ingestionEnded(record: IngestionRecord, end: RunEnd, cliTarget: string): Alert {
  const s = record.summary;
  const input = s.executionInput ? executionInputSchema.parse(JSON.parse(s.executionInput)) : undefined;
  const outputs = input ? stagedOutputs(input.stagingUri, s.attempt) : undefined;
  const base = {
    ingestionId: s.ingestionId,
    attempt: s.attempt,
    dataset: s.dataset,
    businessDate: s.businessDate,
    source: s.sourceUri,
    sourceVersion: orNull(s.sourceVersion),
  };
  const where = { rejectedRows: orNull(outputs?.rejectedRows), qualityReport: orNull(outputs?.report) };
  if (end.outcome === 'SUCCEEDED') {
    const byStage = new Map(record.stages.map((st) => [st.stage, st]));
    return {
      subject: snsSubject(`landing-etl: ${s.dataset} ingestion succeeded (${s.businessDate})`),
      message: {
        event: 'INGESTION_SUCCEEDED',
        ...base,
        stages: Object.fromEntries((Object.keys(STAGE_COUNTS) as Stage[]).map((stage) => [stage, stageFigures(byStage.get(stage), stage)])),
        ...where,
      },
    };
  }
  const stage = s.status === 'FAILED' && s.stage ? s.stage : (end.failure?.stage ?? s.stage ?? 'unknown');
  return {
    subject: snsSubject(`landing-etl: ${s.dataset} ingestion failed at ${stage} (${s.businessDate})`),
    message: {
      event: 'INGESTION_FAILED',
      ...base,
      stage,
      error: s.status === 'FAILED' ? (s.error ?? end.failure?.error ?? null) : orNull(end.failure?.error),
      cause: s.status === 'FAILED' ? (s.cause ?? end.failure?.cause ?? null) : orNull(end.failure?.cause),
      ...where,
      retry: retryCommand(s.ingestionId, cliTarget),
    },
  };
}

/** The one alert for a backlog's runs (functions/shared/backlog.ts), sent when the last of them ends. */
export function backlogEnded(summary: BacklogSummary): Alert {
  const outcome = summary.failed ? `${summary.failed} of ${summary.ingestions} failed` : `all ${summary.ingestions} succeeded`;
  return {
    subject: snsSubject(`landing-etl: backlog of ${summary.ingestions} ingestions done, ${outcome}`),
    message: { event: 'BACKLOG_ENDED', ...summary },
  };
}
