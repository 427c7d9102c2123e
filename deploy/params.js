// The per-stage parameters that have no safe default, and the ones with a fixed set of values. `sls package` and
// `sls deploy` fail while reading serverless.yml when one is missing or wrong, naming every one and why it is needed.
import { MAX_GLUE_TIMEOUT_MINUTES } from '../statemachine/definition.js';

const blank = (v) => v === undefined || v === null || String(v).trim() === '';

// No subnetIds: the stack creates its network (deploy/resources/network.yml), which only a database it creates is in.
const givenNetwork = (p) => !blank(p.subnetIds);
const REQUIRED = [
  { names: ['securityGroupId'], why: 'the given subnets (subnetIds): the group of the load job and the query Lambda', when: givenNetwork },
  { names: ['dbHost', 'dbSecretArn', 'dbReaderSecretArn'], why: 'the existing Aurora PostgreSQL cluster and its read-only role', when: (p) => p.createDatabase !== 'true' },
  { names: ['subnetIds'], why: 'the VPC of the existing cluster (createDatabase=false): a network the stack creates cannot reach it', when: (p) => p.createDatabase !== 'true' },
  { names: ['vpcId'], why: 'the Aurora cluster this stack creates in the given subnets', when: (p) => p.createDatabase === 'true' && givenNetwork(p) },
  { names: ['jwtAudience'], why: 'the audiences the given issuer puts in its tokens (jwtIssuerUrl)', when: (p) => p.apiAuth === 'jwt' && !blank(p.jwtIssuerUrl) },
];

/** The scopes of the stack's own Cognito user pool (deploy/resources/api-auth.yml); a given issuer may name others. */
export const POOL_SCOPES = { jwtRowsScope: 'landing-etl/rows', jwtOperationsScope: 'landing-etl/operations' };

const CHOICES = {
  createDatabase: ['true', 'false'],
  // Zones of the created network's interface endpoints: 2 (each subnet's zone) or 1 (half the cost; docs/deployment.md).
  networkEndpointZones: ['1', '2'],
  apiAuth: ['none', 'jwt', 'iam'],
  allowAnonymousApi: ['true', 'false'],
  rowsAccess: ['any', 'own'],
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
  'maxConcurrentIngestions',
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
/** Whole numbers in a range, with why. */
const RANGES = {
  admissionRetrySeconds: [0, 900, 'it is the DelaySeconds of an SQS message'],
};

export const CHECKED_PARAMS = [
  ...new Set([
    ...REQUIRED.flatMap((r) => r.names),
    ...Object.keys(CHOICES),
    ...POSITIVE_INTEGERS,
    ...POSITIVE_DECIMALS,
    ...OPTIONAL_NON_NEGATIVE_INTEGERS,
    ...Object.keys(RANGES),
    ...Object.keys(POOL_SCOPES),
    'jwtIssuerUrl',
    'rowsUserClaim',
  ]),
];

/** Upper bounds of positive integers, with why. */
const MAXIMA = {
  glueTimeoutMinutes: [MAX_GLUE_TIMEOUT_MINUTES, "beyond it a run that waits and runs that long in every stage could exceed Step Functions' 25,000 history events"],
};


/** The stage in which the API may be anonymous without saying so twice (docs/deployment.md: Parameters). */
export const ANONYMOUS_STAGE = 'dev';

/** Every problem with the resolved parameters of `stage`, as messages that name the parameter; empty when all is well. */
export function paramProblems(params, stage) {
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
  for (const [name, [min, max, why]] of Object.entries(RANGES)) {
    const value = String(params[name] ?? '');
    if (!/^(0|[1-9][0-9]*)$/.test(value) || Number(value) < min || Number(value) > max) problems.push(`parameter ${name} must be a whole number from ${min} to ${max}: ${why} (got "${value}")`);
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
  return [...problems, ...authProblems(params, stage)];
}

/** The API's authentication: anonymous only in the dev stage or when the stage says so twice, a given issuer over
 *  HTTPS, the pool's own scope names when the stack is the issuer, and `rowsAccess=own` only where a token names its
 *  user. */
function authProblems(params, stage) {
  const problems = [];
  if (params.apiAuth === 'none' && stage !== ANONYMOUS_STAGE && params.allowAnonymousApi !== 'true') {
    problems.push(
      `parameter apiAuth=none leaves every route of stage "${stage}" open to anyone who finds its URL: use apiAuth=jwt or ` +
        'apiAuth=iam, or set allowAnonymousApi=true as well to serve it anonymously on purpose',
    );
  }
  const issuer = blank(params.jwtIssuerUrl) ? '' : String(params.jwtIssuerUrl).trim();
  if (issuer && !/^https:\/\/[^\s/]+(\/\S*)?$/.test(issuer)) problems.push(`parameter jwtIssuerUrl must be an https:// URL (got "${issuer}")`);
  for (const [name, poolScope] of Object.entries(POOL_SCOPES)) {
    const scope = String(params[name] ?? '');
    if (!/^\S+$/.test(scope)) problems.push(`parameter ${name} must be one scope name without spaces (got "${scope}")`);
    else if (!issuer && scope !== poolScope) {
      problems.push(`parameter ${name} names a scope of the issuer given by jwtIssuerUrl; without one the stack's own user pool issues ${poolScope} (got "${scope}")`);
    }
  }
  // A Cognito prefix domain is lowercase letters, digits and hyphens, at most 63 (CloudFormation reference,
  // "AWS::Cognito::UserPoolDomain": ^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$), and may not contain aws, amazon or cognito
  // (Amazon Cognito developer guide, "Using the Amazon Cognito domain"). The pool's is landing-etl-<stage>-<account id>.
  if (apiIssuer(params) === 'cognito' && (!/^[a-z0-9-]{1,38}$/.test(stage) || /aws|amazon|cognito/.test(stage))) {
    problems.push(
      `stage "${stage}" names the API's Cognito domain (landing-etl-${stage}-<account id>), which takes at most 38 lowercase ` +
        'letters, digits and hyphens without "aws", "amazon" or "cognito": rename the stage or give jwtIssuerUrl',
    );
  }
  if (params.rowsAccess === 'own' && params.apiAuth !== 'jwt') {
    problems.push(`parameter rowsAccess=own needs apiAuth=jwt: only a token can name the caller (got apiAuth=${params.apiAuth})`);
  }
  if (params.rowsAccess === 'own' && !/^[\w.:-]+$/.test(String(params.rowsUserClaim ?? ''))) {
    problems.push(`parameter rowsUserClaim must name a claim of the token (got "${params.rowsUserClaim ?? ''}")`);
  }
  return problems;
}

/** Which authentication resources the stage gets (deploy/resources/api-auth.yml) and which authorizer (serverless.yml:
 *  custom.api.authorizers): the stack's own Cognito user pool, a given OIDC issuer, IAM, or none. */
function apiIssuer(params) {
  if (params.apiAuth === 'jwt') return blank(params.jwtIssuerUrl) ? 'cognito' : 'oidc';
  return params.apiAuth === 'iam' ? 'iam' : 'none';
}

/** The parameters as serverless.yml reads them from `custom.checkedParams`: an empty opt-in setting is null (so
 *  `${self:custom.checkedParams.NAME, null}` leaves the property out), a set one is a number; and what follows from
 *  them: `apiIssuer` (above) and `jwtAudiences`, the list jwtAudience names. */
export function checkedValues(params) {
  const values = {
    ...params,
    apiIssuer: apiIssuer(params),
    jwtAudiences: String(params.jwtAudience ?? '').split(',').map((a) => a.trim()).filter(Boolean),
  };
  for (const name of OPTIONAL_NON_NEGATIVE_INTEGERS) {
    const raw = blank(params[name]) ? '' : String(params[name]).trim();
    values[name] = raw === '' ? null : /^[0-9]+$/.test(raw) ? Number(raw) : raw;
  }
  return values;
}
