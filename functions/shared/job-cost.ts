/** What one Glue job run cost and where its logs are, from its GetJobRun answer. */

/** The fields of Glue's JobRun (GetJobRun) the figures need. */
export interface JobRunFigures {
  Id?: string | undefined;
  JobName?: string | undefined;
  ExecutionTime?: number | undefined;
  MaxCapacity?: number | undefined;
  WorkerType?: string | undefined;
  NumberOfWorkers?: number | undefined;
  /** Only for Auto Scaling runs: executor time × DPU factor (GetJobRun, "JobRun" in the AWS Glue API reference). */
  DPUSeconds?: number | undefined;
  /** The run's log group prefix: /aws-glue/jobs, or with a security configuration that encrypts CloudWatch logs
   *  /aws-glue/jobs-<role>-<configuration>/ (GetJobRun, "JobRun" in the AWS Glue API reference: LogGroupName). */
  LogGroupName?: string | undefined;
}

export interface StageCost {
  glueRunId: string;
  jobSeconds: number;
  dpuSeconds: number;
  costUsd: number;
  logs: { output: string; error: string };
}

/** DPUs per worker of each worker type (AWS Glue developer guide, "Defining job properties for Spark jobs"). */
const DPU_PER_WORKER: Record<string, number> = {
  'G.025X': 0.25, 'G.1X': 1, 'G.2X': 2, 'G.4X': 4, 'G.8X': 8, 'G.12X': 12, 'G.16X': 16, 'R.1X': 1, 'R.2X': 2, 'R.4X': 4, 'R.8X': 8,
};

/** Glue 2.0 and later bill per second with a 1-minute minimum (aws.amazon.com/glue/pricing, "AWS Glue pricing"). */
const MINIMUM_BILLED_SECONDS = 60;

/** Where Glue writes a run's logs when GetJobRun names no LogGroupName. */
export const DEFAULT_LOG_GROUP = '/aws-glue/jobs';

/** The log links of a run: `template` with {logGroup} (the run's output or error log group, escaped as the CloudWatch
 *  console's links escape it), {group} (output or error), {runId} and {jobName} filled in. On AWS the template is a
 *  console link to the log group {logGroup}, stream {runId}: the group is <LogGroupName>/output or /error, so a job
 *  whose security configuration encrypts its logs links to its own groups; locally, the run's log file. */
export function logLinks(template: string, jobName: string, runId: string, logGroupName = DEFAULT_LOG_GROUP): StageCost['logs'] {
  const prefix = logGroupName.replace(/\/+$/, '') || DEFAULT_LOG_GROUP;
  const fill = (group: string) =>
    template
      .replaceAll('{logGroup}', encodeURIComponent(`${prefix}/${group}`).replaceAll('%', '$25'))
      .replaceAll('{group}', group)
      .replaceAll('{runId}', encodeURIComponent(runId))
      .replaceAll('{jobName}', encodeURIComponent(jobName));
  return { output: fill('output'), error: fill('error') };
}

/** DPU-seconds and cost at list price of a finished run. DPU-seconds are Glue's own for Auto Scaling runs, else the
 *  run's capacity × its execution time; the cost bills at least a minute, as Glue does. */
export function stageCost(run: JobRunFigures, pricePerDpuHour: number, logTemplate: string): StageCost {
  const seconds = run.ExecutionTime ?? 0;
  const capacity = run.MaxCapacity ?? (run.NumberOfWorkers ?? 0) * (DPU_PER_WORKER[run.WorkerType ?? ''] ?? 1);
  const dpuSeconds = run.DPUSeconds ?? capacity * seconds;
  const billed = seconds > 0 ? Math.max(dpuSeconds, capacity * MINIMUM_BILLED_SECONDS) : dpuSeconds;
  return {
    glueRunId: run.Id ?? '',
    jobSeconds: seconds,
    dpuSeconds: round(dpuSeconds, 2),
    costUsd: round((billed / 3600) * pricePerDpuHour, 6),
    logs: logLinks(logTemplate, run.JobName ?? '', run.Id ?? '', run.LogGroupName),
  };
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
