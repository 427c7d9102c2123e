import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error deploy/ is plain JavaScript for the Serverless plugin
import { freshnessAlarms } from '../../deploy/freshness-alarms.js';
import { loadContracts } from '../../functions/shared/contracts';
import { at, list, loadTemplate, resource, resourcesOfType, STAGES, type Template } from './template';

const props = (t: Template, id: string, type: string) => resource(t, id, type).Properties;
const policyStatements = (t: Template, role: string) =>
  list(props(t, role, 'AWS::IAM::Role').Policies).flatMap((p) => list(at(p, 'PolicyDocument.Statement')));

describe.each(STAGES)('the %s stack', (stage) => {
  const t = loadTemplate(stage);

  test('an EventBridge Scheduler schedule invokes the freshness checker with the scheduled time, through a role that may do only that', () => {
    const schedule = props(t, 'FreshnessSchedule', 'AWS::Scheduler::Schedule');
    expect(schedule).toMatchObject({
      ScheduleExpression: 'rate(15 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': ['FreshnessLambdaFunction', 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['FreshnessSchedulerRole', 'Arn'] },
        Input: '{"time":"<aws.scheduler.scheduled-time>"}',
      },
    });
    const role = props(t, 'FreshnessSchedulerRole', 'AWS::IAM::Role');
    expect(at(role, 'AssumeRolePolicyDocument.Statement')).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    expect(policyStatements(t, 'FreshnessSchedulerRole')).toEqual([
      { Sid: 'InvokeChecker', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': ['FreshnessLambdaFunction', 'Arn'] } },
    ]);
  });

  test("the checker runs with its own role: the run log's table and dataset index, the alerts topic, its logs", () => {
    const fn = props(t, 'FreshnessLambdaFunction', 'AWS::Lambda::Function');
    expect(fn.Role).toEqual({ 'Fn::GetAtt': ['FreshnessRole', 'Arn'] });
    expect(at(fn, 'Environment.Variables')).toEqual({
      RUN_LOG_TABLE: { Ref: 'RunLogTable' },
      TOPIC_ARN: { Ref: 'AlertsTopic' },
      METRICS_NAMESPACE: `landing-etl/${stage}`,
    });
    const actions = policyStatements(t, 'FreshnessRole').flatMap((s) => [at(s, 'Action')].flat());
    expect(actions.sort()).toEqual(
      [
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sns:Publish',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    // No other function's role reaches the checker, and the checker's role no other function's resources.
    for (const [id, r] of resourcesOfType(t, 'AWS::Lambda::Function')) {
      if (id !== 'FreshnessLambdaFunction') expect(r.Properties.Role).not.toEqual({ 'Fn::GetAtt': ['FreshnessRole', 'Arn'] });
    }
    expect(JSON.stringify(policyStatements(t, 'FreshnessRole'))).not.toMatch(/byObject|StateMachine|Bucket/);
  });

  test('every dataset with a schedule has a staleness alarm on the metric the checker publishes, notifying the alerts topic', () => {
    const scheduled = [...loadContracts('datasets').values()].filter((c) => c.schedule);
    const alarms = resourcesOfType(t, 'AWS::CloudWatch::Alarm').filter(([, r]) => r.Properties.MetricName === 'MinutesSinceLastSuccess');
    expect(alarms.map(([, r]) => at(r.Properties, 'Dimensions.0.Value')).sort()).toEqual(scheduled.map((c) => c.name).sort());
    expect(props(t, 'StaleAlarmDailycheckin', 'AWS::CloudWatch::Alarm')).toMatchObject({
      Namespace: `landing-etl/${stage}`,
      Dimensions: [{ Name: 'Dataset', Value: 'dailycheckin' }],
      Statistic: 'Maximum',
      Period: 900,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      // A day, the 06:00 due time, 60 minutes' grace and two hours for the run and a daylight-saving day.
      Threshold: 1440 + 360 + 60 + 120,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: 'AlertsTopic' }],
    });
  });
});

test('a contract added to the datasets folder gets its own alarm; weekday files allow a weekend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'landing-etl-alarms-'));
  writeFileSync(join(dir, 'dailycheckin.json'), readFileSync('datasets/dailycheckin.json'));
  const weekly = { name: 'cafe_sales', schedule: { every: 'weekday', due: '09:30', timeZone: 'America/New_York' } };
  writeFileSync(join(dir, 'cafe_sales.json'), JSON.stringify(weekly));
  writeFileSync(join(dir, 'unscheduled.json'), JSON.stringify({ name: 'unscheduled' }));
  const { Resources } = freshnessAlarms(dir, { namespace: 'landing-etl/x', periodSeconds: 300 }) as { Resources: Record<string, { Properties: Record<string, unknown> }> };
  expect(Object.keys(Resources).sort()).toEqual(['StaleAlarmCafeSales', 'StaleAlarmDailycheckin']);
  expect(Resources.StaleAlarmCafeSales!.Properties).toMatchObject({ Threshold: 3 * 1440 + 570 + 0 + 120, Period: 300, Dimensions: [{ Name: 'Dataset', Value: 'cafe_sales' }] });
});
