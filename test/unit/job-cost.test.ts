import { logLinks, stageCost } from '../../functions/shared/job-cost';

const AWS_LINK = 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/{logGroup}/log-events/{runId}';

test('a run of fixed workers costs its workers’ DPUs for its execution time at the hourly price', () => {
  const cost = stageCost({ Id: 'jr_1', JobName: 'landing-etl-dev-test', ExecutionTime: 300, WorkerType: 'G.2X', NumberOfWorkers: 4 }, 0.44, AWS_LINK);
  // 4 workers × 2 DPU × 300 s = 2,400 DPU-seconds = 0.667 DPU-hours.
  expect(cost).toMatchObject({ glueRunId: 'jr_1', jobSeconds: 300, dpuSeconds: 2400, costUsd: 0.293333 });
});

test('GetJobRun’s MaxCapacity is the capacity when it is given, and Auto Scaling runs bill Glue’s own DPU-seconds', () => {
  expect(stageCost({ ExecutionTime: 120, MaxCapacity: 10, WorkerType: 'G.1X', NumberOfWorkers: 2 }, 0.44, '').dpuSeconds).toBe(1200);
  expect(stageCost({ ExecutionTime: 600, DPUSeconds: 1500.5, WorkerType: 'G.1X', NumberOfWorkers: 10 }, 0.5, '')).toMatchObject({ dpuSeconds: 1500.5, costUsd: 0.208403 });
});

test('a run shorter than a minute is billed for the minute', () => {
  expect(stageCost({ ExecutionTime: 7, WorkerType: 'G.1X', NumberOfWorkers: 2 }, 0.44, '')).toMatchObject({ dpuSeconds: 14, costUsd: 0.014667 });
  expect(stageCost({ ExecutionTime: 0, WorkerType: 'G.1X', NumberOfWorkers: 2 }, 0.44, '')).toMatchObject({ dpuSeconds: 0, costUsd: 0 });
});

test('log links name the output and error log groups and the run’s stream', () => {
  expect(logLinks(AWS_LINK, 'landing-etl-dev-load', 'jr_abc')).toEqual({
    output: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws-glue$252Fjobs$252Foutput/log-events/jr_abc',
    error: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws-glue$252Fjobs$252Ferror/log-events/jr_abc',
  });
  expect(logLinks('file:///x/glue/{jobName}-{runId}.log', 'landing-etl-dev-load', 'jr_abc').output).toBe('file:///x/glue/landing-etl-dev-load-jr_abc.log');
});

test('log links name the groups of the run’s LogGroupName: a security configuration that encrypts its logs gives its own', () => {
  const run = { Id: 'jr_abc', JobName: 'landing-etl-dev-load', ExecutionTime: 60, WorkerType: 'G.1X', NumberOfWorkers: 2 };
  const encrypted = '/aws-glue/jobs-landing-etl-dev-load-eu-west-1-landing-etl-dev/';
  expect(stageCost({ ...run, LogGroupName: encrypted }, 0.44, AWS_LINK).logs).toEqual({
    output: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws-glue$252Fjobs-landing-etl-dev-load-eu-west-1-landing-etl-dev$252Foutput/log-events/jr_abc',
    error: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws-glue$252Fjobs-landing-etl-dev-load-eu-west-1-landing-etl-dev$252Ferror/log-events/jr_abc',
  });
  // GetJobRun's default group, with or without its trailing slash, and none at all, are /aws-glue/jobs.
  for (const LogGroupName of ['/aws-glue/jobs', '/aws-glue/jobs/', undefined]) {
    expect(stageCost({ ...run, LogGroupName }, 0.44, AWS_LINK).logs.output).toContain('log-group/$252Faws-glue$252Fjobs$252Foutput/');
  }
});
