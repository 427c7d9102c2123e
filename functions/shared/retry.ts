import { executionArn, executionInputSchema, executionName, type ExecutionInput } from './execution';
import { IngestionNotFoundError, RetryRefusedError } from './errors';
import type { RunLog } from './run-log';

export interface RetryPorts {
  runLog: RunLog;
  stateMachineArn: string;
  /** StartExecution; resolves to the execution ARN. */
  start(name: string, input: ExecutionInput): Promise<string>;
  now(): Date;
}

/** Re-runs a FAILED ingestion as its next attempt, under the execution name `<id>-a<n>`, with the same input as
 *  the first attempt. The run log claims the attempt before the start, conditionally, so of two concurrent
 *  retries exactly one starts; the earlier attempts stay in the run log as ATTEMPT#<n> snapshots. */
export async function retryIngestion(id: string, ports: RetryPorts): Promise<{ attempt: number; executionArn: string }> {
  const record = await ports.runLog.get(id);
  if (!record) throw new IngestionNotFoundError(`no ingestion ${id} in the run log`);
  const { summary } = record;
  if (summary.status !== 'FAILED') {
    throw new RetryRefusedError(`ingestion ${id} is ${summary.status} (attempt ${summary.attempt}); only a FAILED ingestion can be retried`);
  }
  if (!summary.executionInput) throw new RetryRefusedError(`ingestion ${id} has no recorded execution input to run again`);
  const attempt = summary.attempt + 1;
  const input = { ...executionInputSchema.parse(JSON.parse(summary.executionInput)), attempt };
  const name = executionName(id, attempt);
  const arn = executionArn(ports.stateMachineArn, name);
  await ports.runLog.claimRetry(record, arn, ports.now().toISOString());
  try {
    return { attempt, executionArn: await ports.start(name, input) };
  } catch (e) {
    await ports.runLog.releaseRetry(record, ports.now().toISOString());
    throw e;
  }
}
