import * as z from 'zod/mini';
import { stageCost, type JobRunFigures, type StageCost } from '../shared/job-cost';
import { STAGES, type RunLog } from '../shared/run-log';

/** What the state machine passes after each Glue job run ends. */
export const stageCostInput = z.object({
  ingestionId: z.string().check(z.minLength(1)),
  /** Absent from executions started before the state machine passed it. */
  attempt: z.optional(z.int().check(z.positive())),
  stage: z.enum(STAGES),
  jobName: z.string().check(z.minLength(1)),
  runId: z.string().check(z.minLength(1)),
});
export type StageCostInput = z.infer<typeof stageCostInput>;

export interface StageCostPorts {
  getJobRun(jobName: string, runId: string): Promise<JobRunFigures>;
  runLog: Pick<RunLog, 'recordStageCost'>;
  pricePerDpuHour: number;
  logLinkTemplate: string;
}

/** Reads the finished job run from Glue, computes its cost and log links and records them in the run log. */
export async function recordStageCost(ports: StageCostPorts, input: StageCostInput): Promise<StageCost> {
  const run = await ports.getJobRun(input.jobName, input.runId);
  const cost = stageCost({ ...run, Id: run.Id ?? input.runId, JobName: run.JobName ?? input.jobName }, ports.pricePerDpuHour, ports.logLinkTemplate);
  await ports.runLog.recordStageCost(input.ingestionId, input.stage, cost, input.attempt);
  return cost;
}
