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
  expect(output).toContain('missing required parameters dbHost, dbSecretArn');
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

test('packaging rejects an unknown API auth mode and a JWT authorizer without its issuer and audience', () => {
  const network = ['--param=subnetIds=subnet-0123456789abcdef0', '--param=securityGroupId=sg-0123456789abcdef0', '--param=glueAvailabilityZone=us-east-1a', '--param=vpcId=vpc-0123456789abcdef0'];
  const unknown = slsPackage(['--stage', 'dev', ...network, '--param=apiAuth=basic']);
  expect(unknown.status).not.toBe(0);
  expect(unknown.output).toContain('parameter apiAuth must be one of none, jwt, iam (got "basic")');
  const jwt = slsPackage(['--stage', 'dev', ...network, '--param=apiAuth=jwt']);
  expect(jwt.status).not.toBe(0);
  expect(jwt.output).toContain('missing required parameters jwtIssuerUrl, jwtAudience (the JWT authorizer (apiAuth=jwt))');
});

describe('reserved concurrency', () => {
  const network = ['--param=subnetIds=subnet-0123456789abcdef0', '--param=securityGroupId=sg-0123456789abcdef0', '--param=glueAvailabilityZone=us-east-1a', '--param=vpcId=vpc-0123456789abcdef0'];

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
