import * as z from 'zod/mini';
import { backlogEnded, ingestionEnded, type Alert } from '../shared/alerts';
import type { Backlog } from '../shared/backlog';
import { IngestionNotFoundError } from '../shared/errors';
import { executionInputSchema } from '../shared/execution';
import { IN_FLIGHT_STATUSES, type IngestionRecord, type StageRecord } from '../shared/run-log';

/** What the state machine passes as an execution ends: the ingestion, its attempt, how it ended and, for a
 *  failure, what the state machine recorded. */
export const finishInput = z.object({
  ingestionId: z.string().check(z.minLength(1)),
  attempt: z.int().check(z.positive()),
  outcome: z.enum(['SUCCEEDED', 'FAILED']),
  failure: z.optional(z.object({ stage: z.string(), Error: z.string(), Cause: z.string() })),
});
export type FinishInput = z.infer<typeof finishInput>;

/** EventBridge's "Step Functions Execution Status Change" for an execution that ended without the state machine's
 *  own end (Step Functions developer guide, "Automating Step Functions event delivery with EventBridge"). */
export const executionEndedEvent = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    name: z.string(),
    status: z.enum(['ABORTED', 'TIMED_OUT', 'FAILED']),
    stopDate: z.optional(z.nullable(z.number())),
    // Absent when the input is larger than the event can carry (inputDetails.included: false).
    input: z.optional(z.nullable(z.string())),
    error: z.optional(z.nullable(z.string())),
    cause: z.optional(z.nullable(z.string())),
  }),
});
export type ExecutionEndedEvent = z.infer<typeof executionEndedEvent>;

export interface FinishPorts {
  read(ingestionId: string): Promise<IngestionRecord | undefined>;
  publish(alert: Alert): Promise<void>;
  /** Marks the attempt FAILED if it is still in flight (RECEIVED or RUNNING), stage by stage. */
  markFailed(ingestionId: string, attempt: number, error: string, cause: string, now: string): Promise<void>;
  /** BatchStopJobRun of one Glue run. */
  stopJobRun(jobName: string, runId: string): Promise<void>;
  /** Gives the ingestion's admission slot back. */
  release(ingestionId: string): Promise<void>;
  backlog: Pick<Backlog, 'ended'>;
  /** What reaches this stage from the CLI (`--stage … --region …`; empty locally). */
  cliTarget: string;
}

/** An ingestion's execution has ended: announces the outcome from the run log. An execution of an attempt that a
 *  later one replaced (a retry started while it still ran) announces nothing: its outcome is not the ingestion's. */
export async function finishIngestion(input: FinishInput, ports: FinishPorts): Promise<Alert | null> {
  const record = await ports.read(input.ingestionId);
  if (!record) throw new IngestionNotFoundError(`no ingestion ${input.ingestionId} in the run log`);
  if (record.summary.attempt !== input.attempt) return null;
  const failure = input.failure && { stage: input.failure.stage, error: input.failure.Error, cause: input.failure.Cause };
  return announce(record, ingestionEnded(record, { outcome: input.outcome, failure }, ports.cliTarget), ports);
}

/** Frees the ended ingestion's slot and announces its end: on its own, or as part of its backlog when it waited. */
async function announce(record: IngestionRecord, alert: Alert, ports: FinishPorts): Promise<Alert | null> {
  await ports.release(record.summary.ingestionId);
  if (!record.summary.queuedAt) {
    await ports.publish(alert);
    return alert;
  }
  const failed = alert.message.event === 'INGESTION_FAILED';
  const { announce: alone, summary } = await ports.backlog.ended({ failed, kind: `${String(alert.message.stage)}: ${String(alert.message.error)}` });
  if (alone) await ports.publish(alert);
  if (summary) await ports.publish(backlogEnded(summary));
  return alone ? alert : null;
}

const WHY: Record<ExecutionEndedEvent['detail']['status'], { error: string; how: string }> = {
  ABORTED: { error: 'ExecutionAborted', how: 'was stopped' },
  TIMED_OUT: { error: 'ExecutionTimedOut', how: 'ran past its timeout' },
  FAILED: { error: 'ExecutionFailed', how: 'failed outside any step that records it' },
};

/** The ingestion and attempt an execution ran: from its input, or from its name (`<id>` is attempt 1, `<id>-a<n>`
 *  attempt n) when the event could not carry the input. */
function runOf(detail: ExecutionEndedEvent['detail']): { ingestionId: string; attempt: number } {
  const parsed = detail.input ? executionInputSchema.safeParse(JSON.parse(detail.input)) : undefined;
  if (parsed?.success) return { ingestionId: parsed.data.ingestionId, attempt: parsed.data.attempt };
  const m = /^(.*?)(?:-a(\d+))?$/.exec(detail.name)!;
  return { ingestionId: m[1]!, attempt: m[2] ? Number(m[2]) : 1 };
}

/** An execution ended without reaching its own end (stopped, timed out, or failed where nothing could record it):
 *  its attempt, if still in flight in the run log, is marked FAILED with the reason, the Glue run of its stage is
 *  stopped, and the failure is announced. An execution that recorded its own end changes nothing here. */
export async function finishEndedExecution(event: ExecutionEndedEvent, ports: FinishPorts): Promise<Alert | null> {
  const { detail } = event;
  const { ingestionId, attempt } = runOf(detail);
  const record = await ports.read(ingestionId);
  if (!record || record.summary.attempt !== attempt || !IN_FLIGHT_STATUSES.includes(record.summary.status)) return null;
  const why = WHY[detail.status];
  const cause = `execution ${detail.name} ${why.how}${detail.cause ? `: ${detail.cause}` : detail.error ? ` (${detail.error})` : ''}`;
  const running = record.stages.filter((s): s is StageRecord & { glueRunId: string; glueJobName: string } => s.status === 'RUNNING' && !!s.glueRunId && !!s.glueJobName);
  for (const stage of running) await ports.stopJobRun(stage.glueJobName, stage.glueRunId);
  const now = new Date(detail.stopDate ?? Date.now()).toISOString();
  await ports.markFailed(ingestionId, attempt, why.error, cause.slice(0, 1024), now);
  const failed = (await ports.read(ingestionId))!;
  return announce(failed, ingestionEnded(failed, { outcome: 'FAILED' }, ports.cliTarget), ports);
}

/** The finish function's work for either event it gets: the state machine's end of an execution, or EventBridge's
 *  status change of one that ended without it. */
export async function finish(event: unknown, ports: FinishPorts): Promise<Alert | null> {
  const ended = executionEndedEvent.safeParse(event);
  return ended.success ? finishEndedExecution(ended.data, ports) : finishIngestion(finishInput.parse(event), ports);
}
