import { jest } from '@jest/globals';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStackResourcesCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AssociateRouteTableCommand, AuthorizeSecurityGroupEgressCommand, DescribeSubnetsCommand, DescribeVpcEndpointsCommand, DescribeVpcsCommand, EC2Client, ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { CreateConnectionCommand, GlueClient } from '@aws-sdk/client-glue';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { LOCAL_ACCOUNT } from '../../local/deployment';
import { startMoto, type LocalMoto } from '../../local/moto';
import { loadTemplate, type Template } from '../template/template';

// `landing-etl doctor --stage dev` end to end, through the AWS SDK, against moto: the packaged dev template's network
// is created with moto's CloudFormation (stack landing-etl-dev), once as the template has it and once with each
// misconfiguration a fresh account meets; doctor must pass the first (exit 0) and name each problem of the second
// with its fix (exit 1).
//
// What moto does not do, and how the test covers it:
// - its CloudFormation (moto 5.2) ignores AWS::EC2::SecurityGroupEgress and AWS::Glue::Connection, creates a VPC
//   without its EnableDnsSupport/EnableDnsHostnames and a SubnetRouteTableAssociation without associating: the test
//   makes each with the API CloudFormation calls for it, as the template states it (AuthorizeSecurityGroupEgress,
//   CreateConnection, ModifyVpcAttribute, AssociateRouteTable); it did not delete VPC endpoints with their stack,
//   which local/moto_server.py fixes, so the rehearsal creates the network and removes it;
// - it has no RDS DescribeDBEngineVersions, no Lambda GetAccountSettings and no Service Quotas ListServiceQuotas: a
//   stand-in on this machine answers those three, in their protocols (RDS query/XML, Lambda REST JSON, Service Quotas
//   JSON 1.1), with the figures of each case, and the SDK reaches it through AWS_ENDPOINT_URL_<SERVICE>.

jest.setTimeout(120_000);

const region = 'us-east-1';
const stack = 'landing-etl-dev';
const NETWORK_TYPES = new Set([
  'AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::RouteTable', 'AWS::EC2::SubnetRouteTableAssociation', 'AWS::EC2::VPCEndpoint',
  'AWS::EC2::SecurityGroup', 'AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress',
]);

let moto: LocalMoto;
let standIn: Server;
let standInUrl: string;
/** What the stand-in answers for the account: the region's Aurora PostgreSQL versions and the quotas. */
let account = { versions: ['16.6', '17.7'], glueRuns: 2000, unreserved: 1000, openExecutions: 1_000_000 };
const answered: string[] = [];

const credentials = { accessKeyId: 'doctor', secretAccessKey: 'local' };
const client = <C>(Client: new (config: object) => C): C => new Client({ region, endpoint: moto.endpoint, credentials });

/** The network part of the packaged dev template, the stack doctor reads. */
function networkTemplate(): Template {
  const dev = loadTemplate('dev');
  return { ...dev, Outputs: {}, Resources: Object.fromEntries(Object.entries(dev.Resources).filter(([, r]) => NETWORK_TYPES.has(r.Type))) };
}

/** Creates the stack in moto, then what moto's CloudFormation leaves out of it. */
async function deploy(template: Template, connectionZone?: string): Promise<Record<string, string>> {
  await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' });
  const cfn = client(CloudFormationClient);
  await cfn.send(new CreateStackCommand({ StackName: stack, TemplateBody: JSON.stringify(template) }));
  const { StackResources = [] } = await cfn.send(new DescribeStackResourcesCommand({ StackName: stack }));
  const id = Object.fromEntries(StackResources.map((r) => [r.LogicalResourceId!, r.PhysicalResourceId!]));
  const ec2 = client(EC2Client);
  const vpc = template.Resources.Vpc!.Properties as { EnableDnsSupport: boolean; EnableDnsHostnames: boolean };
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: id.Vpc, EnableDnsSupport: { Value: vpc.EnableDnsSupport } }));
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: id.Vpc, EnableDnsHostnames: { Value: vpc.EnableDnsHostnames } }));
  for (const [, r] of Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::EC2::SubnetRouteTableAssociation')) {
    const p = r.Properties as { SubnetId: { Ref: string }; RouteTableId: { Ref: string } };
    await ec2.send(new AssociateRouteTableCommand({ SubnetId: id[p.SubnetId.Ref], RouteTableId: id[p.RouteTableId.Ref] }));
  }
  for (const [, r] of Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::EC2::SecurityGroupEgress')) {
    const p = r.Properties as { GroupId: { Ref: string }; IpProtocol: string; FromPort: number; ToPort: number; DestinationSecurityGroupId: { Ref: string } };
    await ec2.send(new AuthorizeSecurityGroupEgressCommand({
      GroupId: id[p.GroupId.Ref],
      IpPermissions: [{ IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort, UserIdGroupPairs: [{ GroupId: id[p.DestinationSecurityGroupId.Ref] }] }],
    }));
  }
  const subnet = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id.PrivateSubnetA!] }))).Subnets![0]!;
  const connection = loadTemplate('dev').Resources.GlueConnection!.Properties as { ConnectionInput: { Name: string; ConnectionType: 'NETWORK' } };
  await client(GlueClient).send(new CreateConnectionCommand({
    ConnectionInput: {
      Name: connection.ConnectionInput.Name,
      ConnectionType: connection.ConnectionInput.ConnectionType,
      ConnectionProperties: {},
      PhysicalConnectionRequirements: { SubnetId: subnet.SubnetId, AvailabilityZone: connectionZone ?? subnet.AvailabilityZone, SecurityGroupIdList: [id.LoadJobSecurityGroup!] },
    },
  }));
  return id;
}

/** `landing-etl doctor --stage dev` as a user runs it, every AWS call to moto but the three moto lacks. */
async function doctor(): Promise<{ code: number; out: string }> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ENDPOINT_URL_RDS: standInUrl,
    AWS_ENDPOINT_URL_LAMBDA: standInUrl,
    AWS_ENDPOINT_URL_SERVICE_QUOTAS: standInUrl,
  };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'doctor', '--stage', 'dev', '--region', region], { env });
    return { code: 0, out: stdout };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
}

beforeAll(async () => {
  moto = await startMoto({ account: LOCAL_ACCOUNT });
  standIn = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (new URLSearchParams(body).get('Action') === 'DescribeDBEngineVersions') {
        answered.push('rds:DescribeDBEngineVersions');
        const versions = account.versions.map((v) => `<DBEngineVersion><Engine>aurora-postgresql</Engine><EngineVersion>${v}</EngineVersion></DBEngineVersion>`).join('');
        res.writeHead(200, { 'content-type': 'text/xml' });
        return res.end(`<DescribeDBEngineVersionsResponse><DescribeDBEngineVersionsResult><DBEngineVersions>${versions}</DBEngineVersions></DescribeDBEngineVersionsResult></DescribeDBEngineVersionsResponse>`);
      }
      if (req.url?.endsWith('/account-settings')) {
        answered.push('lambda:GetAccountSettings');
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: account.unreserved } }));
      }
      if (target.endsWith('.ListServiceQuotas')) {
        const code = (JSON.parse(body) as { ServiceCode: string }).ServiceCode;
        answered.push(`servicequotas:ListServiceQuotas ${code}`);
        const quotas = code === 'glue' ? [{ QuotaName: 'Max concurrent job runs per account', Value: account.glueRuns }] : [{ QuotaName: 'Open executions', Value: account.openExecutions }];
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        return res.end(JSON.stringify({ Quotas: quotas }));
      }
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ __type: 'UnknownOperation', message: `${req.method} ${req.url} ${target}` }));
    });
  });
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  const address = standIn.address();
  standInUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  standIn?.close();
  await moto?.stop();
});

test('doctor passes the network the dev template creates, reading the stack, EC2, Glue, RDS, Lambda and the quotas', async () => {
  account = { versions: ['16.6', '17.7'], glueRuns: 2000, unreserved: 1000, openExecutions: 1_000_000 };
  answered.length = 0;
  await deploy(networkTemplate());
  const { code, out } = await doctor();
  expect({ code, out }).toEqual({ code: 0, out: 'doctor: stage dev in us-east-1, its deployed stack\ndoctor: no problem found\n' });
  expect(answered.sort()).toEqual(['lambda:GetAccountSettings', 'rds:DescribeDBEngineVersions', 'servicequotas:ListServiceQuotas glue', 'servicequotas:ListServiceQuotas states']);
});

test('doctor finds each misconfiguration of a broken network and account, each with its fix, and exits 1', async () => {
  account = { versions: ['16.6', '17.5'], glueRuns: 2, unreserved: 50, openExecutions: 1_000_000 };
  const t = networkTemplate();
  const r = t.Resources;
  const props = (id: string) => r[id]!.Properties as Record<string, unknown>;
  delete r.S3GatewayEndpoint; // no S3 gateway endpoint (Glue: "Could not find S3 endpoint or NAT gateway")
  delete r.SecretsManagerEndpoint; // a missing interface endpoint
  props('LogsEndpoint').PrivateDnsEnabled = false; // an endpoint without private DNS
  props('Vpc').EnableDnsHostnames = false; // the VPC without DNS hostnames
  // 443 not admitted from the query function, 5432 not from the load job, no self-referencing rule.
  props('EndpointSecurityGroup').SecurityGroupIngress = (props('EndpointSecurityGroup').SecurityGroupIngress as unknown[]).slice(0, 1);
  props('DatabaseSecurityGroup').SecurityGroupIngress = (props('DatabaseSecurityGroup').SecurityGroupIngress as unknown[]).slice(1);
  delete r.LoadJobSelfIngress;
  const id = await deploy(t, 'us-east-1b'); // and a connection whose zone is not its subnet's
  const vpc = (await client(EC2Client).send(new DescribeVpcsCommand({ VpcIds: [id.Vpc!] }))).Vpcs![0]!.VpcId;

  const { code, out } = await doctor();
  expect(code).toBe(1);
  const expected: Array<[string, string]> = [
    [`VPC ${vpc} has DNS hostnames off`, `aws ec2 modify-vpc-attribute --vpc-id ${vpc} --enable-dns-hostnames`],
    [`the Glue connection names zone us-east-1b but its subnet ${id.PrivateSubnetA} is in us-east-1a: Glue fails with "Could not find subnet for AZ"`, 'glueAvailabilityZone'],
    [`subnet ${id.PrivateSubnetA} of the load job has no route to s3: no s3 gateway endpoint on its route table ${id.PrivateRouteTable} and no NAT route (Glue: "Could not find S3 endpoint or NAT gateway for subnetId")`, `--vpc-endpoint-type Gateway --service-name com.amazonaws.us-east-1.s3 --route-table-ids ${id.PrivateRouteTable}`],
    [`the load job calls secretsmanager but VPC ${vpc} has no secretsmanager interface endpoint`, '--service-name com.amazonaws.us-east-1.secretsmanager --private-dns-enabled'],
    [`the query function calls secretsmanager but VPC ${vpc} has no secretsmanager interface endpoint`, '--service-name com.amazonaws.us-east-1.secretsmanager'],
    ['the logs interface endpoint has private DNS off', 'aws ec2 modify-vpc-endpoint --vpc-endpoint-id <the logs endpoint> --private-dns-enabled'],
    [`the xray endpoint's security groups (${id.EndpointSecurityGroup}) admit no HTTPS (443) from the query function's group ${id.QueryFunctionSecurityGroup}`, `authorize-security-group-ingress --group-id ${id.EndpointSecurityGroup}`],
    [`the database's groups (${id.DatabaseSecurityGroup}) admit no PostgreSQL (5432) from the load job's group ${id.LoadJobSecurityGroup}`, `FromPort=5432,ToPort=5432,UserIdGroupPairs=[{GroupId=${id.LoadJobSecurityGroup}}]`],
    [`the load job's group ${id.LoadJobSecurityGroup} does not admit all TCP from itself`, `FromPort=0,ToPort=65535,UserIdGroupPairs=[{GroupId=${id.LoadJobSecurityGroup}}]`],
    ['aurora-postgresql 17.7 does not exist in this region', '--param="dbEngineVersion=17.5"'],
    ['the account allows 2 concurrent Glue job runs', 'Max concurrent job runs per account'],
    ['reserving 0 Lambda executions leaves 50 unreserved', 'Concurrent executions'],
  ];
  const blocks = out.split(/\n(?=ERROR|WARNING)/);
  for (const [problem, fix] of expected) {
    const block = blocks.find((b) => b.includes(problem));
    expect({ problem, block: block && block.includes(`fix: `) && block.includes(fix) ? 'with its fix' : block }).toEqual({ problem, block: 'with its fix' });
  }
  // Nothing but those: the query function's own egress and the load job's rules that remain are not reported.
  expect(blocks.filter((b) => /^(ERROR|WARNING)/.test(b))).toHaveLength(expected.length);
});

test('moto\'s CloudFormation creates every network resource of the dev template it models, and removes them with the stack (the rehearsal of the network)', async () => {
  const template = networkTemplate();
  await deploy(template);
  const { StackResources = [] } = await client(CloudFormationClient).send(new DescribeStackResourcesCommand({ StackName: stack }));
  const created = StackResources.filter((r) => r.ResourceStatus === 'CREATE_COMPLETE' && r.PhysicalResourceId).map((r) => r.LogicalResourceId);
  const modelled = Object.entries(template.Resources).filter(([, r]) => !['AWS::EC2::SecurityGroupEgress', 'AWS::EC2::SecurityGroupIngress'].includes(r.Type)).map(([id]) => id);
  expect(created).toEqual(expect.arrayContaining(modelled));
  expect(modelled).toHaveLength(17);

  // Removed: the stack is gone and so is its network, endpoints first (nothing is left behind to block the next deploy).
  const cfn = client(CloudFormationClient);
  await cfn.send(new DeleteStackCommand({ StackName: stack }));
  const { Stacks = [] } = await cfn.send(new DescribeStacksCommand({ StackName: stack })).catch(() => ({ Stacks: [] }));
  expect(Stacks.map((s) => s.StackStatus).filter((status) => status !== 'DELETE_COMPLETE')).toEqual([]);
  const ec2 = client(EC2Client);
  const vpcId = StackResources.find((r) => r.LogicalResourceId === 'Vpc')!.PhysicalResourceId!;
  // A deleted endpoint is listed for a while in state `deleted`, as on AWS.
  expect(((await ec2.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints ?? []).filter((e) => e.State?.toLowerCase() !== 'deleted')).toEqual([]);
  expect(((await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? []).map((v) => v.VpcId)).not.toContain(vpcId);
});
