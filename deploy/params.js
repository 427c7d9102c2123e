// The per-stage parameters that have no safe default, and the ones with a fixed set of values. `sls package` and
// `sls deploy` fail while reading serverless.yml when one is missing or wrong, naming every one and why it is needed.

const REQUIRED = [
  { names: ['subnetIds', 'securityGroupId', 'glueAvailabilityZone'], why: 'the VPC the Glue jobs and the query Lambda run in' },
  { names: ['dbHost', 'dbSecretArn'], why: 'the existing Aurora PostgreSQL cluster', when: (p) => p.createDatabase !== 'true' },
  { names: ['vpcId'], why: 'the Aurora cluster this stack creates (createDatabase=true)', when: (p) => p.createDatabase === 'true' },
  { names: ['jwtIssuerUrl', 'jwtAudience'], why: 'the JWT authorizer (apiAuth=jwt)', when: (p) => p.apiAuth === 'jwt' },
];

const CHOICES = {
  createDatabase: ['true', 'false'],
  apiAuth: ['none', 'jwt', 'iam'],
  qualityMode: ['', 'hard', 'soft'],
};

const POSITIVE_INTEGERS = [
  'dataRetentionDays',
  'glueNumberOfWorkers',
  'glueTimeoutMinutes',
  'glueMaxConcurrentRuns',
  'apiThrottleRateLimit',
  'apiThrottleBurstLimit',
];

/** Every parameter the checks read. */
export const CHECKED_PARAMS = [
  ...new Set([...REQUIRED.flatMap((r) => r.names), ...Object.keys(CHOICES), ...POSITIVE_INTEGERS]),
];

const blank = (v) => v === undefined || v === null || String(v).trim() === '';

/** Every problem with the resolved parameters, as messages that name the parameter; empty when all is well. */
export function paramProblems(params) {
  const problems = [];
  for (const [name, allowed] of Object.entries(CHOICES)) {
    const value = blank(params[name]) ? '' : String(params[name]);
    if (!allowed.includes(value)) problems.push(`parameter ${name} must be one of ${allowed.filter(Boolean).join(', ')} (got "${value}")`);
  }
  for (const { names, why, when } of REQUIRED) {
    if (when && !when(params)) continue;
    const missing = names.filter((n) => blank(params[n]));
    if (missing.length) problems.push(`missing required parameter${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (${why})`);
  }
  for (const name of POSITIVE_INTEGERS) {
    if (!/^[1-9][0-9]*$/.test(String(params[name] ?? ''))) problems.push(`parameter ${name} must be a positive integer (got "${params[name] ?? ''}")`);
  }
  return problems;
}
