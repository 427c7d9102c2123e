// @ts-expect-error a plain ES module shared with serverless.yml's plugin
import { checkedValues, paramProblems } from '../../deploy/params.js';

type Params = Record<string, string>;
const problems = paramProblems as (params: Params, stage: string) => string[];
const values = checkedValues as (params: Params) => Params & { apiIssuer: string; jwtAudiences: string[] };

/** A complete prod parameter set as serverless.yml's defaults and scripts/package-stages.sh give it. */
const PROD: Params = {
  subnetIds: 'subnet-1',
  securityGroupId: 'sg-1',
  glueAvailabilityZone: 'us-east-1a',
  createDatabase: 'false',
  dbHost: 'db.example.com',
  dbSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf',
  dbReaderSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-reader-AbCdEf',
  qualityMode: '',
  glueTransformWorkerType: 'G.1X',
  glueTestWorkerType: 'G.1X',
  glueLoadWorkerType: 'G.1X',
  ...Object.fromEntries(
    ['dataRetentionDays', 'glueTransformWorkers', 'glueTestWorkers', 'glueLoadWorkers', 'loadConnections', 'glueTimeoutMinutes',
      'glueMaxConcurrentRuns', 'maxConcurrentIngestions', 'apiThrottleRateLimit', 'apiThrottleBurstLimit', 'freshnessCheckMinutes'].map((n) => [n, '5']),
  ),
  glueDpuHourPrice: '0.44',
  networkEndpointZones: '1',
  admissionRetrySeconds: '30',
  apiAuth: 'jwt',
  allowAnonymousApi: 'false',
  jwtIssuerUrl: '',
  jwtAudience: '',
  jwtRowsScope: 'landing-etl/rows',
  jwtOperationsScope: 'landing-etl/operations',
  rowsAccess: 'any',
  rowsUserClaim: 'username',
};

test('the defaults authenticate every stage with the stack\'s own Cognito pool and need no authentication parameter', () => {
  expect(problems(PROD, 'prod')).toEqual([]);
  expect(problems(PROD, 'dev')).toEqual([]);
  expect(values(PROD).apiIssuer).toBe('cognito');
});

test('apiAuth=none is refused outside dev unless allowAnonymousApi=true says so too, naming both parameters', () => {
  const none = { ...PROD, apiAuth: 'none' };
  expect(problems(none, 'prod')).toEqual([
    'parameter apiAuth=none leaves every route of stage "prod" open to anyone who finds its URL: use apiAuth=jwt or ' +
      'apiAuth=iam, or set allowAnonymousApi=true as well to serve it anonymously on purpose',
  ]);
  expect(problems(none, 'staging')).toHaveLength(1);
  expect(problems({ ...none, allowAnonymousApi: 'true' }, 'prod')).toEqual([]);
  expect(problems(none, 'dev')).toEqual([]);
  expect(problems({ ...none, allowAnonymousApi: 'yes' }, 'prod')).toContain('parameter allowAnonymousApi must be one of true, false (got "yes")');
  expect(values(none).apiIssuer).toBe('none');
});

test('a given issuer needs its audiences and an https URL, and may name its own scopes', () => {
  const oidc = { ...PROD, jwtIssuerUrl: 'https://login.example.com/', jwtRowsScope: 'api://rows', jwtOperationsScope: 'api://ops' };
  expect(problems(oidc, 'prod')).toEqual(['missing required parameter jwtAudience (the audiences the given issuer puts in its tokens (jwtIssuerUrl))']);
  const given = { ...oidc, jwtAudience: 'app-1, app-2' };
  expect(problems(given, 'prod')).toEqual([]);
  expect(values(given)).toMatchObject({ apiIssuer: 'oidc', jwtAudiences: ['app-1', 'app-2'] });
  expect(problems({ ...given, jwtIssuerUrl: 'http://login.example.com' }, 'prod')).toEqual([
    'parameter jwtIssuerUrl must be an https:// URL (got "http://login.example.com")',
  ]);
  expect(problems({ ...given, jwtRowsScope: 'two scopes' }, 'prod')).toEqual(['parameter jwtRowsScope must be one scope name without spaces (got "two scopes")']);
});

test('without a given issuer the scopes are the pool\'s own', () => {
  expect(problems({ ...PROD, jwtRowsScope: 'api://rows' }, 'prod')).toEqual([
    'parameter jwtRowsScope names a scope of the issuer given by jwtIssuerUrl; without one the stack\'s own user pool issues landing-etl/rows (got "api://rows")',
  ]);
});

test('a stage name the Cognito domain cannot take is refused when the stack is its own issuer', () => {
  for (const stage of ['Prod', 'my-aws-test', 'x'.repeat(39)]) {
    expect(problems(PROD, stage)).toEqual([expect.stringContaining(`stage "${stage}" names the API's Cognito domain`)]);
  }
  expect(problems({ ...PROD, jwtIssuerUrl: 'https://login.example.com', jwtAudience: 'a' }, 'Prod')).toEqual([]);
});

test('rowsAccess=own needs a token, and a claim name', () => {
  expect(problems({ ...PROD, rowsAccess: 'own' }, 'prod')).toEqual([]);
  expect(problems({ ...PROD, rowsAccess: 'own', apiAuth: 'iam' }, 'prod')).toEqual([
    'parameter rowsAccess=own needs apiAuth=jwt: only a token can name the caller (got apiAuth=iam)',
  ]);
  expect(problems({ ...PROD, rowsAccess: 'own', rowsUserClaim: '' }, 'prod')).toEqual(['parameter rowsUserClaim must name a claim of the token (got "")']);
  expect(problems({ ...PROD, rowsAccess: 'mine' }, 'prod')).toEqual(['parameter rowsAccess must be one of any, own (got "mine")']);
});
