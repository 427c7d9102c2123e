import { spawnSync } from 'node:child_process';

/** Runs `sls package` the way a user would, without AWS credentials, and returns its exit code and output. */
function slsPackage(args: string[]): { status: number | null; output: string } {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' };
  const run = spawnSync('npx', ['sls', 'package', '--package', '.build/package/rejected', ...args], {
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
  expect(output).toContain('missing required parameters subnetIds, securityGroupId, glueAvailabilityZone');
  expect(output).toContain('missing required parameters dbHost, dbSecretArn');
  expect(output).not.toContain('Service packaged');
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
