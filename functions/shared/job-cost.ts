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

/** The log links of a run: `template` with {group} (output or error), {runId} and {jobName} filled in. On AWS the
 *  template is a CloudWatch console link to /aws-glue/jobs/{group}, stream {runId}; locally, the run's log file. */
export function logLinks(template: string, jobName: string, runId: string): StageCost['logs'] {
  const fill = (group: string) =>
    template.replaceAll('{group}', group).replaceAll('{runId}', encodeURIComponent(runId)).replaceAll('{jobName}', encodeURIComponent(jobName));
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
    logs: logLinks(logTemplate, run.JobName ?? '', run.Id ?? ''),
  };
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
