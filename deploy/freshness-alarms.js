// One staleness alarm per dataset whose contract (datasets/NAME.json) declares a schedule: adding a dataset adds its
// alarm, with no template to edit. The freshness checker publishes MinutesSinceLastSuccess per dataset every check
// (functions/freshness); the alarm fires when two checks in a row find the last success older than the longest gap an
// on-schedule dataset can have, or report nothing (no success in the run log, or the checker stopped).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The longest a dataset keeping to its schedule goes without a success, in minutes: a file arrives no earlier than
 *  the start of its day, so from an early file to the next one at its deadline is the days between expected business
 *  dates (1, or 3 over a weekend for weekday files), plus the due time of day and the grace period, plus two hours for
 *  the run itself and a daylight-saving day. */
export function stalenessThresholdMinutes(schedule) {
  const [hours, minutes] = schedule.due.split(':').map(Number);
  const days = (schedule.every ?? 'day') === 'weekday' ? 3 : 1;
  return days * 1440 + hours * 60 + minutes + (schedule.graceMinutes ?? 0) + 120;
}

const logicalId = (name) => `StaleAlarm${name.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`;

/** The alarms as a CloudFormation fragment ({ Resources }) for serverless.yml's resources. */
export function freshnessAlarms(datasetsDir, { namespace, periodSeconds }) {
  const Resources = {};
  const files = readdirSync(datasetsDir).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json')).sort();
  for (const file of files) {
    const { name, schedule } = JSON.parse(readFileSync(join(datasetsDir, file), 'utf8'));
    if (!schedule) continue;
    const threshold = stalenessThresholdMinutes(schedule);
    Resources[logicalId(name)] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: { 'Fn::Sub': `\${AWS::StackName}-stale-${name}` },
        AlarmDescription:
          `${name}: no successful ingestion for over ${threshold} minutes (its file is due ${schedule.due} ${schedule.timeZone} ` +
          `${schedule.every === 'weekday' ? 'for each weekday' : 'for each day'}, ${schedule.graceMinutes ?? 0} min grace); see GET /datasets`,
        Namespace: namespace,
        MetricName: 'MinutesSinceLastSuccess',
        Dimensions: [{ Name: 'Dataset', Value: name }],
        Statistic: 'Maximum',
        Period: periodSeconds,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: threshold,
        // No data is a dataset with no success in the run log, or a checker that stopped: stale either way.
        TreatMissingData: 'breaching',
        AlarmActions: [{ Ref: 'AlertsTopic' }],
      },
    };
  }
  return { Resources };
}
