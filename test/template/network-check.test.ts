import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkNetwork } from '../../checks/network/check';
import { reachability } from '../../checks/network/paths';
import { parseCalls } from '../../local/iam-check';
import type { Template } from '../../local/template';
import { loadTemplate } from './template';

// The network check (checks/network/) over the packaged dev template, then over copies that each lack one piece:
// every one must fail naming the principal, the service, the call site and what is missing.

const packaged = loadTemplate('dev') as unknown as Template;
const prod = loadTemplate('prod') as unknown as Template;
const copy = (): Template => structuredClone(packaged);
type Props = Record<string, unknown>;
const props = (t: Template, id: string) => t.Resources[id]!.Properties as Props;

const calls = parseCalls(
  [
    { principal: 'LoadJobRole', action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', caller: 'load', test: 'test/e2e/pipeline.test.ts' },
    { principal: 'LoadJobRole', action: 'dynamodb:UpdateItem', resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/t' },
    { principal: 'LoadJobRole', action: 'secretsmanager:GetSecretValue', resource: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db' },
    { principal: 'QueryRole', action: 'secretsmanager:GetSecretValue', resource: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db', test: 'test/e2e/datasets.test.ts' },
    { principal: 'ExecutorRole', action: 'states:StartExecution', resource: 'arn:aws:states:us-east-1:123456789012:stateMachine:m' },
  ]
    .map((c) => JSON.stringify(c))
    .join('\n'),
  'calls.jsonl',
);

const failuresOf = (t: Template, recorded = calls) => checkNetwork(recorded, [{ stage: 'dev', template: t }]).failures;

test('proves a path for every service the VPC principals call, and for the database, in the dev stack', () => {
  const { rows, failures } = checkNetwork(calls, [{ stage: 'dev', template: packaged }]);
  expect(failures).toEqual([]);
  expect(rows.map((r) => [r.principal, r.service, r.result, r.detail.split(' (')[0]])).toEqual([
    ['QueryLambdaFunction', 'secretsmanager', 'path', 'interface endpoint SecretsManagerEndpoint'],
    ['QueryLambdaFunction', 'xray', 'path', 'interface endpoint XRayEndpoint'],
    ['QueryLambdaFunction', 'postgresql', 'path', 'DatabaseCluster on 5432, admitted by DatabaseSecurityGroup'],
    ['LoadJob', 's3', 'path', 'gateway endpoint S3GatewayEndpoint on PrivateRouteTable'],
    ['LoadJob', 'dynamodb', 'path', 'gateway endpoint DynamoDbGatewayEndpoint on PrivateRouteTable'],
    ['LoadJob', 'secretsmanager', 'path', 'interface endpoint SecretsManagerEndpoint'],
    ['LoadJob', 'logs', 'path', 'interface endpoint LogsEndpoint'],
    ['LoadJob', 'monitoring', 'path', 'interface endpoint MonitoringEndpoint'],
    ['LoadJob', 'kms', 'path', 'interface endpoint KmsEndpoint'],
    ['LoadJob', 'postgresql', 'path', 'DatabaseCluster on 5432, admitted by DatabaseSecurityGroup'],
  ]);
});

test.each<[string, (t: Template) => void, string[]]>([
  [
    'the S3 gateway endpoint',
    (t) => delete t.Resources.S3GatewayEndpoint,
    ['LoadJob (LoadJobRole) → s3', 's3:GetObject by load in test/e2e/pipeline.test.ts (calls.jsonl:1)', 'route table PrivateRouteTable of PrivateSubnetA has no s3 gateway endpoint and no NAT route', 'VPC Vpc has no s3 interface endpoint'],
  ],
  [
    'the Secrets Manager interface endpoint',
    (t) => delete t.Resources.SecretsManagerEndpoint,
    ['QueryLambdaFunction (QueryRole) → secretsmanager', 'in test/e2e/datasets.test.ts (calls.jsonl:4)', 'VPC Vpc has no secretsmanager interface endpoint'],
  ],
  [
    "the Logs endpoint's private DNS",
    (t) => (props(t, 'LogsEndpoint').PrivateDnsEnabled = false),
    ['LoadJob (LoadJobRole) → logs, needed by platform: --enable-continuous-cloudwatch-log', 'interface endpoint LogsEndpoint has no private DNS'],
  ],
  [
    "the VPC's DNS hostnames",
    (t) => (props(t, 'Vpc').EnableDnsHostnames = false),
    ['QueryLambdaFunction (QueryRole) → secretsmanager', 'VPC Vpc lacks EnableDnsSupport and EnableDnsHostnames'],
  ],
  [
    "the endpoints' 443 from the query function",
    (t) => (props(t, 'EndpointSecurityGroup').SecurityGroupIngress = (props(t, 'EndpointSecurityGroup').SecurityGroupIngress as Props[]).slice(0, 1)),
    ['QueryLambdaFunction (QueryRole) → xray', 'the security groups of interface endpoint XRayEndpoint (EndpointSecurityGroup) admit no 443 from QueryFunctionSecurityGroup'],
  ],
  [
    "the query function's 443 out",
    (t) => (props(t, 'QueryFunctionSecurityGroup').SecurityGroupEgress = [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.42.0.0/16' }]),
    ['QueryLambdaFunction (QueryRole) → secretsmanager', 'the security groups of QueryLambdaFunction (QueryFunctionSecurityGroup) let no 443 out'],
  ],
  [
    "the database's 5432 from the load job",
    (t) => (props(t, 'DatabaseSecurityGroup').SecurityGroupIngress = (props(t, 'DatabaseSecurityGroup').SecurityGroupIngress as Props[]).slice(1)),
    ['LoadJob (LoadJobRole) → postgresql, needed by handed the database host', 'the security groups of DatabaseCluster (DatabaseSecurityGroup) admit no 5432 from LoadJobSecurityGroup'],
  ],
  [
    "the subnets' route table association",
    (t) => delete t.Resources.PrivateSubnetARouteTable,
    ['LoadJob (LoadJobRole) → dynamodb', 'subnet PrivateSubnetA has no route table association'],
  ],
])('fails without %s, naming principal, service, call site and the missing piece', (_, remove, expected) => {
  expect(failuresOf(copy())).toEqual([]);
  const t = copy();
  remove(t);
  const failures = failuresOf(t).join('\n');
  for (const piece of expected) expect(failures).toContain(piece);
});

test('takes a NAT route on the subnets\' route table as a path where no endpoint is', () => {
  const t = copy();
  delete t.Resources.SecretsManagerEndpoint;
  t.Resources.NatRoute = { Type: 'AWS::EC2::Route', Properties: { RouteTableId: { Ref: 'PrivateRouteTable' }, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1' } };
  const { rows, failures } = checkNetwork(calls, [{ stage: 'dev', template: t }]);
  expect(failures).toEqual([]);
  expect(rows.find((r) => r.principal === 'LoadJob' && r.service === 'secretsmanager')?.detail).toBe('NAT route NatRoute on PrivateRouteTable');
});

test('fails a service a VPC principal was seen calling that has no path and that doctor does not check', () => {
  const sns = parseCalls(JSON.stringify({ principal: 'QueryRole', action: 'sns:Publish', resource: 'arn:aws:sns:us-east-1:123456789012:t' }), 'more.jsonl');
  const failures = failuresOf(copy(), [...calls, ...sns]);
  expect(failures).toEqual([
    expect.stringContaining("dev: QueryLambdaFunction needs sns but landing-etl doctor does not check the query function's path to it"),
    'dev: QueryLambdaFunction (QueryRole) → sns, needed by recorded: sns:Publish (more.jsonl:1): missing route table PrivateRouteTable of PrivateSubnetA has no sns gateway endpoint and no NAT route, and VPC Vpc has no sns interface endpoint (com.amazonaws.<region>.sns)',
  ]);
});

test('fails when a VPC principal has no recorded call: nothing would prove what it needs', () => {
  expect(failuresOf(copy(), calls.filter((c) => c.principal !== 'QueryRole'))).toEqual([
    expect.stringContaining('dev: QueryLambdaFunction runs in a VPC but no call of its role QueryRole was recorded'),
  ]);
});

test('leaves a given network (prod) to doctor, and proves doctor checks a path for each service the principals need', () => {
  const { rows, failures } = checkNetwork(calls, [{ stage: 'prod', template: prod }]);
  expect(failures).toEqual([]);
  expect(new Set(rows.map((r) => r.result))).toEqual(new Set(['unproven']));
  expect(rows.find((r) => r.service === 's3')?.detail).toContain('parameters SubnetIds, SecurityGroupId');
});

test('the local gateway\'s reachability refuses only what the template gives no path', () => {
  const t = copy();
  delete t.Resources.SecretsManagerEndpoint;
  const paths = reachability(t);
  expect(paths.refusal('QueryRole', 'secretsmanager')).toBe(
    'no network path: QueryLambdaFunction (QueryRole) runs in the VPC and its call to secretsmanager would time out connecting on AWS: route table PrivateRouteTable of PrivateSubnetA has no secretsmanager gateway endpoint and no NAT route, and VPC Vpc has no secretsmanager interface endpoint (com.amazonaws.<region>.secretsmanager)',
  );
  expect(paths.refusal('LoadJobRole', 's3')).toBeUndefined();
  expect(paths.refusal('TransformJobRole', 'secretsmanager')).toBeUndefined(); // not in the VPC: the public endpoint
  expect(reachability(packaged).refusal('QueryRole', 'secretsmanager')).toBeUndefined();
});

test('npm run check:network exits 1 naming the missing piece, 0 for the packaged stacks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'network-check-'));
  try {
    const callsFile = join(dir, 'calls.jsonl');
    writeFileSync(callsFile, calls.map((c) => JSON.stringify(c)).join('\n'));
    const run = (t: Template) => {
      for (const [stage, template] of [['dev', t], ['prod', prod]] as const) {
        mkdirSync(join(dir, stage), { recursive: true });
        writeFileSync(join(dir, stage, 'cloudformation-template-update-stack.json'), JSON.stringify(template));
      }
      return spawnSync(process.execPath, ['--import', 'tsx', 'checks/network/main.ts', callsFile, '--package', dir], { encoding: 'utf8' });
    };
    const good = run(packaged);
    expect({ status: good.status, stderr: good.stderr }).toEqual({ status: 0, stderr: '' });
    expect(good.stdout).toContain('dev  LoadJob (LoadJobRole)  kms  path  interface endpoint KmsEndpoint');
    const broken = copy();
    delete broken.Resources.KmsEndpoint;
    const bad = run(broken);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('FAIL dev: LoadJob (LoadJobRole) → kms, needed by platform: SecurityConfiguration GlueSecurityConfiguration: missing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
