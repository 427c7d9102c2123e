import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startAwsGateway, type AwsCall, type AwsGateway } from '../../local/aws-gateway';
import { CallRecorder } from '../../local/calls';
import { Deployment, LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/deployment';
import { checkCalls, loadStage, type RecordedCall } from '../../local/iam-check';
import { startIssuer, type LocalIssuer } from '../../local/issuer';
import { jwtAuthorizer } from '../../local/jwt-authorizer';
import { repoRoot } from '../../local/layout';
import { readPackagedTemplate } from '../../local/template';

/** `landing-etl token --stage dev` as an operator runs it against a deployed stage: the stack's outputs from
 *  CloudFormation, the app client's secret from Cognito, a token from the pool's token endpoint. Here the local issuer
 *  stands in for the pool (its DescribeUserPoolClient and token endpoint) and a stand-in for CloudFormation answers
 *  with the packaged dev template's outputs; both are reached through the local AWS gateway, which records each call
 *  as the principal that signs it: the stage's ApiTokenPolicy, the policy an operator is given. */

const dev = Deployment.load(join(repoRoot, '.build', 'package', 'dev'));
const dir = mkdtempSync(join(tmpdir(), 'landing-etl-token-'));
const recorded: AwsCall[] = [];
let issuer: LocalIssuer;
let cloudFormation: Server;
let gateway: AwsGateway;
const stacks: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  issuer = (await startIssuer(dev, join(dir, 'issuer')))!;
  // What DescribeStacks says of the deployed stage, its token endpoint the local issuer's; and of a stage that
  // trusts an issuer of its own.
  stacks['landing-etl-dev'] = { ...dev.outputs(), ApiTokenEndpoint: issuer.tokenEndpoint, HttpApiUrl: 'https://api.example.com/' };
  stacks['landing-etl-oidc'] = { RunLogTableName: 'r', StateMachineArn: 's', ApiRowsScope: 'api://rows', ApiOperationsScope: 'api://ops' };
  cloudFormation = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const name = new URLSearchParams(body).get('StackName') ?? '';
      const outputs = stacks[name];
      res.setHeader('content-type', 'text/xml');
      if (!outputs) {
        res.statusCode = 400;
        return void res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${name} does not exist</Message></Error></ErrorResponse>`);
      }
      const members = Object.entries(outputs).map(([k, v]) => `<member><OutputKey>${k}</OutputKey><OutputValue>${v}</OutputValue></member>`).join('');
      res.end(
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${name}</StackName>` +
          `<StackId>id</StackId><CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>UPDATE_COMPLETE</StackStatus><Outputs>${members}</Outputs>` +
          '</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>',
      );
    });
  });
  await new Promise<void>((resolve) => cloudFormation.listen(0, '127.0.0.1', resolve));
  const recorder = new CallRecorder(process.env.LANDING_ETL_AWS_CALLS ?? join(dir, 'calls.jsonl'), relative(repoRoot, expect.getState().testPath ?? ''));
  gateway = await startAwsGateway({
    backends: { 'cognito-idp': issuer.endpoint, cloudformation: `http://127.0.0.1:${(cloudFormation.address() as { port: number }).port}` },
    account: LOCAL_ACCOUNT,
    region: LOCAL_REGION,
    record: (call) => (recorded.push(call), recorder.record(call)),
  });
});

afterAll(async () => {
  await gateway?.stop();
  await new Promise<void>((resolve) => cloudFormation?.close(() => resolve()));
  await issuer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The built CLI, signing as `principal`: the stage's ApiTokenPolicy, or someone who is not given it. */
function cli(args: string[], principal = 'ApiTokenPolicy'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'landing-etl.js'), ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        LOCAL_DIR: join(dir, 'no-local-stack'),
        AWS_ENDPOINT_URL: gateway.endpoint,
        AWS_ACCESS_KEY_ID: principal,
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_REGION: LOCAL_REGION,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The dev template's authorizer, as the local HTTP API runs it. */
const authorize = (authorization: string, scopes: string[]) => {
  const get = dev.routes().find((r) => r.routeKey === 'GET /get')!.authorization;
  if (get.type !== 'JWT') throw new Error('GET /get of the dev package has no JWT authorizer');
  return jwtAuthorizer({ issuer: get.issuer, audience: get.audience, jwksUri: issuer.jwksUri })(authorization, scopes);
};

test('prints a token of the stage\'s pool that opens GET /get and no run-log route', async () => {
  const run = await cli(['token', '--scope', 'rows', '--stage', 'dev', '--region', 'us-east-1']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const token = run.stdout.trim();
  expect(await authorize(`Bearer ${token}`, ['landing-etl/rows'])).toMatchObject({ allowed: true, scopes: ['landing-etl/rows'] });
  expect(await authorize(`Bearer ${token}`, ['landing-etl/operations'])).toMatchObject({ allowed: false, status: 403 });
});

test('--page prints the operator page\'s address with an operations token in its fragment', async () => {
  const run = await cli(['token', '--page', '--stage', 'dev']);
  expect(run.code).toBe(0);
  const [, token] = /^https:\/\/api\.example\.com\/#token=(\S+)\n$/.exec(run.stdout) ?? [];
  expect(await authorize(`Bearer ${token}`, ['landing-etl/operations'])).toMatchObject({ allowed: true });
  expect((await cli(['token', '--page', '--scope', 'rows', '--stage', 'dev'])).stderr).toMatch(/--page opens the operator page, which needs --scope operations/);
});

test('the calls it makes are the stage\'s ApiTokenPolicy\'s, and that policy allows them in dev and prod', async () => {
  const made = recorded.filter((c) => c.principal === 'ApiTokenPolicy').map((c) => [c.action, c.resource, c.status]);
  expect(made).toEqual(
    expect.arrayContaining([
      ['cloudformation:DescribeStacks', `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/landing-etl-dev/*`, 200],
      ['cognito-idp:DescribeUserPoolClient', `arn:aws:cognito-idp:${LOCAL_REGION}:${LOCAL_ACCOUNT}:userpool/${LOCAL_REGION}_ApiUserPool`, 200],
    ]),
  );
  const calls: RecordedCall[] = recorded.filter((c) => c.principal === 'ApiTokenPolicy').map((c) => ({ ...c, source: 'test' }));
  const stages = ['dev', 'prod'].map((stage) => loadStage(readPackagedTemplate(join(repoRoot, '.build', 'package', stage)), { stage }));
  const result = await checkCalls(calls, stages);
  const verdicts = result.stages.flatMap((s) => s.verdicts.map((v) => [s.stage, v.action, v.resource, v.allowed]));
  expect(verdicts).toEqual(
    expect.arrayContaining([
      ['prod', 'cloudformation:DescribeStacks', `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/landing-etl-prod/*`, true],
      ['prod', 'cognito-idp:DescribeUserPoolClient', `arn:aws:cognito-idp:${LOCAL_REGION}:${LOCAL_ACCOUNT}:userpool/${LOCAL_REGION}_ApiUserPool`, true],
    ]),
  );
  expect(verdicts.filter(([, , , allowed]) => !allowed)).toEqual([]);
});

test('a stage that issues no tokens of its own, a bad scope and a missing stage are clear errors', async () => {
  // Stacks other than dev: not the dev ApiTokenPolicy's to read (it allows its own stack only).
  const oidc = await cli(['token', '--stage', 'oidc'], 'operator');
  expect([oidc.code, oidc.stderr.trim()]).toEqual([
    1,
    'landing-etl: stage "oidc" issues no tokens of its own: it trusts the issuer it was given (jwtIssuerUrl): get a token of scope api://rows from that issuer',
  ]);
  const scope = await cli(['token', '--scope', 'admin', '--stage', 'dev']);
  expect(scope.code).toBe(2);
  expect(scope.stderr).toContain('--scope must be rows (GET /get) or operations (the run log, the page), got "admin"');
  const missing = await cli(['token', '--stage', 'nope', '--region', 'us-east-1'], 'operator');
  expect(missing.stderr).toContain('stage "nope" is not deployed in us-east-1: no CloudFormation stack landing-etl-nope');
  const local = await cli(['token']);
  expect([local.code, local.stderr]).toEqual([3, expect.stringMatching(/the local stack is not running/)]);
});
