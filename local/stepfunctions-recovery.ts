import { retryCommand } from '../functions/shared/commands';
import { executionInputSchema } from '../functions/shared/execution';
import type { RunLog } from '../functions/shared/run-log';
import type { ExecutionRegistry } from './stepfunctions-executions';

/** Executions that were running when the stack stopped cannot resume: they are recorded as ABORTED, and their
 *  ingestion FAILED in the run log with what to do about it, so nothing is left RUNNING forever. */
export async function abortInterrupted(executions: ExecutionRegistry, runLog: RunLog): Promise<void> {
  for (const execution of executions.list().filter((e) => e.status === 'RUNNING')) {
    const stopDate = new Date().toISOString();
    await executions.save({ ...execution, status: 'ABORTED', stopDate });
    const input = executionInputSchema.safeParse(JSON.parse(execution.input));
    if (!input.success) continue;
    const { ingestionId, attempt } = input.data;
    await runLog.markAborted(
      ingestionId,
      attempt,
      'ExecutionAborted',
      `the local stack stopped while execution ${execution.name} was running, so it was aborted; ` +
        `run \`${retryCommand(ingestionId, '')}\` to run the ingestion again`,
      stopDate,
    );
  }
}
