import * as z from 'zod/mini';
import { ingestionEnded, type Alert } from '../shared/alerts';
import { IngestionNotFoundError } from '../shared/errors';
import type { IngestionRecord } from '../shared/run-log';

/** What the state machine passes when an execution ends: the ingestion, its attempt, how it ended and, for a
 *  failure, what the state machine recorded. */
export const finishInput = z.object({
  ingestionId: z.string().check(z.minLength(1)),
  attempt: z.int().check(z.positive()),
  outcome: z.enum(['SUCCEEDED', 'FAILED']),
  failure: z.optional(z.object({ stage: z.string(), Error: z.string(), Cause: z.string() })),
});
export type FinishInput = z.infer<typeof finishInput>;

export interface FinishPorts {
  read(ingestionId: string): Promise<IngestionRecord | undefined>;
  publish(alert: Alert): Promise<void>;
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
  const alert = ingestionEnded(record, { outcome: input.outcome, failure }, ports.cliTarget);
  await ports.publish(alert);
  return alert;
}
