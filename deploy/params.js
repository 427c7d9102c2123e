// The per-stage parameters that have no safe default, and the ones with a fixed set of values. `sls package` and
// `sls deploy` fail while reading serverless.yml when one is missing or wrong, naming every one and why it is needed.
import { MAX_GLUE_TIMEOUT_MINUTES } from '../statemachine/definition.js';

const blank = (v) => v === undefined || v === null || String(v).trim() === '';

// No subnetIds: the stack creates its network (deploy/resources/network.yml), which only a database it creates is in.
const givenNetwork = (p) => !blank(p.subnetIds);
const REQUIRED = [
  { names: ['securityGroupId'], why: 'the given subnets (subnetIds): the group of the load job and the query Lambda', when: givenNetwork },
  { names: ['dbHost', 'dbSecretArn'], why: 'the existing Aurora PostgreSQL cluster', when: (p) => p.createDatabase !== 'true' },
  { names: ['subnetIds'], why: 'the VPC of the existing cluster (createDatabase=false): a network the stack creates cannot reach it', when: (p) => p.createDatabase !== 'true' },
  { names: ['vpcId'], why: 'the Aurora cluster this stack creates in the given subnets', when: (p) => p.createDatabase === 'true' && givenNetwork(p) },
  { names: ['jwtIssuerUrl', 'jwtAudience'], why: 'the JWT authorizer (apiAuth=jwt)', when: (p) => p.apiAuth === 'jwt' },
];

const CHOICES = {
  createDatabase: ['true', 'false'],
  // Zones of the created network's interface endpoints: 2 (each subnet's zone) or 1 (half the cost; docs/deployment.md).
  networkEndpointZones: ['1', '2'],
  apiAuth: ['none', 'jwt', 'iam'],
  qualityMode: ['', 'hard', 'soft'],
  // The worker types of Spark jobs (AWS Glue Developer Guide, "AWS Glue worker types"); G.1X is the smallest that
  // runs a batch Spark job (G.025X is for streaming jobs).
  ...Object.fromEntries(
    ['glueTransformWorkerType', 'glueTestWorkerType', 'glueLoadWorkerType'].map((name) => [name, ['G.1X', 'G.2X', 'G.4X', 'G.8X', 'G.12X']]),
  ),
};

const POSITIVE_INTEGERS = [
  'dataRetentionDays',
  'glueTransformWorkers',
  'glueTestWorkers',
  'glueLoadWorkers',
  'loadConnections',
  'glueTimeoutMinutes',
  'glueMaxConcurrentRuns',
  'apiThrottleRateLimit',
  'apiThrottleBurstLimit',
  'freshnessCheckMinutes',
];

/** Prices: a positive decimal number. */
const POSITIVE_DECIMALS = ['glueDpuHourPrice'];

/** Opt-in settings: empty (the default) leaves them out of the template; otherwise a non-negative integer. Reserved
 *  concurrency is opt-in because Lambda refuses a reservation that would leave the account fewer than 100
 *  unreserved executions ("Configuring reserved concurrency for a function",
 *  https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html), and new accounts have reduced
 *  concurrency quotas ("Lambda quotas", https://docs.aws.amazon.com/lambda/latest/dg/limits.html). */
const OPTIONAL_NON_NEGATIVE_INTEGERS = ['executorReservedConcurrency', 'queryReservedConcurrency'];

/** Every parameter the checks read. */
export const CHECKED_PARAMS = [
  ...new Set([...REQUIRED.flatMap((r) => r.names), ...Object.keys(CHOICES), ...POSITIVE_INTEGERS, ...POSITIVE_DECIMALS, ...OPTIONAL_NON_NEGATIVE_INTEGERS]),
];

/** Upper bounds of positive integers, with why. */
const MAXIMA = {
  glueTimeoutMinutes: [MAX_GLUE_TIMEOUT_MINUTES, "beyond it a run that waits and runs that long in every stage could exceed Step Functions' 25,000 history events"],
};


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
    else if (MAXIMA[name] && Number(params[name]) > MAXIMA[name][0]) problems.push(`parameter ${name} must be at most ${MAXIMA[name][0]}: ${MAXIMA[name][1]} (got "${params[name]}")`);
  }
  for (const name of POSITIVE_DECIMALS) {
    const value = String(params[name] ?? '');
    if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || Number(value) <= 0) problems.push(`parameter ${name} must be a positive number (got "${value}")`);
  }
  for (const name of OPTIONAL_NON_NEGATIVE_INTEGERS) {
    if (!blank(params[name]) && !/^(0|[1-9][0-9]*)$/.test(String(params[name]).trim())) {
      problems.push(`parameter ${name} must be a non-negative integer or empty (got "${params[name]}")`);
    }
  }
  return problems;
}

/** The parameters as serverless.yml reads them from `custom.checkedParams`: an empty opt-in setting is null (so
 *  `${self:custom.checkedParams.NAME, null}` leaves the property out), a set one is a number. */
export function checkedValues(params) {
  const values = { ...params };
  for (const name of OPTIONAL_NON_NEGATIVE_INTEGERS) {
    const raw = blank(params[name]) ? '' : String(params[name]).trim();
    values[name] = raw === '' ? null : /^[0-9]+$/.test(raw) ? Number(raw) : raw;
  }
  return values;
}
