import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Runs `sls package` the way a user would, without AWS credentials, and returns its exit code and output. */
function slsPackage(args: string[], dir = '.build/package/rejected'): { status: number | null; output: string } {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' };
  const run = spawnSync('npx', ['sls', 'package', '--package', dir, ...args], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

test('packaging prod without its network and database parameters fails naming every missing one', () => {
  const { status, output } = slsPackage(['--stage', 'prod']);
  expect(status).not.toBe(0);
  expect(output).toContain('Stage "prod" cannot be packaged');
  expect(output).toContain('missing required parameters dbHost, dbSecretArn, dbReaderSecretArn');
  expect(output).toContain('missing required parameter subnetIds (the VPC of the existing cluster (createDatabase=false)');
  expect(output).not.toContain('Service packaged');
});

test('given subnets need their security group, and packaging them offline needs the Glue connection\'s zone', () => {
  const noGroup = slsPackage(['--stage', 'dev', '--param=subnetIds=subnet-0123456789abcdef0', '--param=vpcId=vpc-0123456789abcdef0']);
  expect(noGroup.status).not.toBe(0);
  expect(noGroup.output).toContain('missing required parameter securityGroupId (the given subnets (subnetIds)');
  const noZone = slsPackage(['--stage', 'dev', '--param=subnetIds=subnet-0123456789abcdef0', '--param=securityGroupId=sg-0123456789abcdef0', '--param=vpcId=vpc-0123456789abcdef0']);
  expect(noZone.status).not.toBe(0);
  expect(noZone.output).toContain('missing parameter glueAvailabilityZone, the zone of subnet subnet-0123456789abcdef0');
  expect(noZone.output).not.toContain('Service packaged');
});

const NETWORK = ['--param=subnetIds=subnet-0123456789abcdef0', '--param=securityGroupId=sg-0123456789abcdef0', '--param=glueAvailabilityZone=us-east-1a'];
const PROD = [
  ...NETWORK,
  '--param=dbHost=db.example.com',
  '--param=dbSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf',
  '--param=dbReaderSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-reader-AbCdEf',
];
// dev needs no parameter: the stack creates its network and database.
const DEV: string[] = [];

type Packaged = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>; Outputs: Record<string, unknown> };
const template = (dir: string) => JSON.parse(readFileSync(`${dir}/cloudformation-template-update-stack.json`, 'utf8')) as Packaged;
const ofType = (t: Packaged, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const routeAuth = (t: Packaged): Record<string, [unknown, unknown]> =>
  Object.fromEntries(ofType(t, 'AWS::ApiGatewayV2::Route').map(([, r]) => [String(r.Properties.RouteKey), [r.Properties.AuthorizationType, r.Properties.AuthorizationScopes]]));

describe('authentication modes', () => {
  test('an unknown mode, or a given issuer without its audiences, stops packaging naming the parameter', () => {
    const unknown = slsPackage(['--stage', 'dev', ...DEV, '--param=apiAuth=basic']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.output).toContain('parameter apiAuth must be one of none, jwt, iam (got "basic")');
    const oidc = slsPackage(['--stage', 'dev', ...DEV, '--param=jwtIssuerUrl=https://login.example.com']);
    expect(oidc.status).not.toBe(0);
    expect(oidc.output).toContain('missing required parameter jwtAudience');
  });

  test('an anonymous prod stage is refused unless allowAnonymousApi says so too; then no route has an authorizer', () => {
    const refused = slsPackage(['--stage', 'prod', ...PROD, '--param=apiAuth=none']);
    expect(refused.status).not.toBe(0);
    expect(refused.output).toMatch(/parameter apiAuth=none leaves every route of stage "prod" open .* set allowAnonymousApi=true/);
    expect(refused.output).not.toContain('Service packaged');
    const dir = '.build/package/anonymous';
    const allowed = slsPackage(['--stage', 'prod', ...PROD, '--param=apiAuth=none', '--param=allowAnonymousApi=true'], dir);
    expect(allowed.output).toContain('Service packaged');
    const t = template(dir);
    expect(Object.values(routeAuth(t)).every(([type]) => type === undefined)).toBe(true);
    expect(ofType(t, 'AWS::ApiGatewayV2::Authorizer').concat(ofType(t, 'AWS::Cognito::UserPool'))).toEqual([]);
  });

  test('apiAuth=iam signs the data routes and creates a rows and an operations policy allowing exactly their routes', () => {
    const dir = '.build/package/iam';
    expect(slsPackage(['--stage', 'dev', ...DEV, '--param=apiAuth=iam'], dir).output).toContain('Service packaged');
    const t = template(dir);
    expect(routeAuth(t)).toEqual({
      'GET /': [undefined, undefined],
      'GET /assets/{file}': [undefined, undefined],
      'GET /get': ['AWS_IAM', undefined],
      'GET /ingestions': ['AWS_IAM', undefined],
      'GET /ingestions/{id}': ['AWS_IAM', undefined],
      'GET /ingestions/{id}/report': ['AWS_IAM', undefined],
      'GET /datasets': ['AWS_IAM', undefined],
    });
    const invokes = (id: string) => {
      const [statement] = (t.Resources[id]!.Properties.PolicyDocument as { Statement: Array<{ Action: string; Resource: unknown }> }).Statement;
      expect(statement!.Action).toBe('execute-api:Invoke');
      return [statement!.Resource].flat().map((r) => (r as { 'Fn::Sub': string })['Fn::Sub'].split('${HttpApi}/')[1]);
    };
    expect(invokes('ApiRowsPolicy')).toEqual(['*/GET/get']);
    expect(invokes('ApiOperationsPolicy')).toEqual(['*/GET/ingestions', '*/GET/ingestions/*', '*/GET/datasets']);
    expect(ofType(t, 'AWS::Cognito::UserPool')).toEqual([]);
  });

  test('a given OIDC issuer is trusted with its audiences and scope names, and no user pool is created', () => {
    const dir = '.build/package/oidc';
    const args = ['--param=jwtIssuerUrl=https://login.example.com/', '--param=jwtAudience=app-1,app-2', '--param=jwtRowsScope=api://rows', '--param=jwtOperationsScope=api://ops'];
    expect(slsPackage(['--stage', 'dev', ...DEV, ...args], dir).output).toContain('Service packaged');
    const t = template(dir);
    expect(t.Resources.HttpApiAuthorizerJwt?.Properties.JwtConfiguration).toEqual({ Issuer: 'https://login.example.com/', Audience: ['app-1', 'app-2'] });
    expect(routeAuth(t)['GET /get']).toEqual(['JWT', ['api://rows']]);
    expect(routeAuth(t)['GET /datasets']).toEqual(['JWT', ['api://ops']]);
    expect(ofType(t, 'AWS::Cognito::UserPool')).toEqual([]);
    expect(t.Outputs).toMatchObject({ ApiRowsScope: { Value: 'api://rows' }, ApiOperationsScope: { Value: 'api://ops' } });
  });
});

describe('reserved concurrency', () => {
  const network = DEV;

  test('set by its parameters, each function reserves exactly that many executions (0 included)', () => {
    const dir = '.build/package/reserved';
    const { status, output } = slsPackage(['--stage', 'dev', ...network, '--param=executorReservedConcurrency=7', '--param=queryReservedConcurrency=0'], dir);
    expect(output).not.toContain('Invalid configuration');
    expect(status).toBe(0);
    const template = JSON.parse(readFileSync(`${dir}/cloudformation-template-update-stack.json`, 'utf8')) as {
      Resources: Record<string, { Properties: Record<string, unknown> }>;
    };
    const reserved = (id: string) => template.Resources[id]?.Properties.ReservedConcurrentExecutions;
    expect(reserved('ExecutorLambdaFunction')).toBe(7);
    expect(reserved('QueryLambdaFunction')).toBe(0);
    expect(reserved('IngestionsLambdaFunction')).toBe(0);
  });

  test('a value that is not a non-negative integer stops packaging, naming the parameter', () => {
    const { status, output } = slsPackage(['--stage', 'dev', ...network, '--param=executorReservedConcurrency=-5', '--param=queryReservedConcurrency=ten']);
    expect(status).not.toBe(0);
    expect(output).toContain('parameter executorReservedConcurrency must be a non-negative integer or empty (got "-5")');
    expect(output).toContain('parameter queryReservedConcurrency must be a non-negative integer or empty (got "ten")');
  });
});

test('removing a stage needs only its name: no deployment parameter, no Python, no wheels', () => {
  // No credentials from anywhere, and an endpoint that refuses connections: this must never reach an account.
  const offline = {
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
    AWS_WEB_IDENTITY_TOKEN_FILE: '',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  };
  // No Python either: removing a stage must not build the Glue artifacts (python3 zips the package, pip the wheels).
  const run = spawnSync(process.execPath, ['node_modules/osls/bin/serverless.js', 'remove', '--stage', 'never-deployed', '--region', 'us-east-1'], {
    env: { ...process.env, ...offline, PATH: '/nonexistent' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  // Without credentials the removal itself cannot start; what matters is that it got past reading serverless.yml.
  expect(output).not.toContain('cannot be packaged');
  expect(output).not.toContain('Cannot resolve serverless.yml');
  expect(output).not.toContain('python3');
  expect(output).toContain('credentials not found');
});
