import { readFileSync } from 'node:fs';
import { checkNetwork } from '../../checks/network/check';
import { parseCalls } from '../../local/iam-check';
import type { Template as PackagedTemplate } from '../../local/template';
import { at, list, loadTemplate, references, resource, resourcesOfType, STAGES, text, type Template } from './template';

// The network of the packaged stacks: dev creates its own (no --param), prod is given one.

const dev = loadTemplate('dev');
const prod = loadTemplate('prod');
const props = (t: Template, id: string, type: string) => resource(t, id, type).Properties;

/** The service an endpoint serves: "secretsmanager" of com.amazonaws.${AWS::Region}.secretsmanager. */
const serviceOf = (endpoint: Record<string, unknown>) => text(at(endpoint, 'ServiceName.Fn::Sub')).split('.').pop()!;
const endpoints = (t: Template, type: 'Gateway' | 'Interface') =>
  resourcesOfType(t, 'AWS::EC2::VPCEndpoint')
    .map(([id, r]): Record<string, unknown> => ({ id, ...r.Properties }))
    .filter((e) => e.VpcEndpointType === type);

/** The security groups a VPC principal's interfaces are in. */
function groupsOf(t: Template, principal: 'LoadJob' | 'QueryLambdaFunction'): string[] {
  if (principal === 'QueryLambdaFunction') return references(at(props(t, principal, 'AWS::Lambda::Function'), 'VpcConfig.SecurityGroupIds'));
  const connection = references(at(props(t, principal, 'AWS::Glue::Job'), 'Connections.Connections'))[0]!;
  return references(at(props(t, connection, 'AWS::Glue::Connection'), 'ConnectionInput.PhysicalConnectionRequirements.SecurityGroupIdList'));
}

/** What the network check (checks/network/) finds for dev over the recorded sample: each VPC principal's services
 *  (recorded and the platform's) and their paths. */
const sample = parseCalls(readFileSync('test/fixtures/aws-calls.sample.jsonl', 'utf8'), 'test/fixtures/aws-calls.sample.jsonl');
const devPaths = checkNetwork(sample, [{ stage: 'dev', template: dev as unknown as PackagedTemplate }]);

describe.each(STAGES)('the %s stack', (stage) => {
  const t = loadTemplate(stage);

  test('runs in a VPC only what reaches the database: the load job and the query function', () => {
    const jobsInVpc = resourcesOfType(t, 'AWS::Glue::Job').filter(([, r]) => r.Properties.Connections).map(([id]) => id);
    expect(jobsInVpc).toEqual(['LoadJob']);
    const functionsInVpc = resourcesOfType(t, 'AWS::Lambda::Function').filter(([, r]) => r.Properties.VpcConfig).map(([id]) => id);
    expect(functionsInVpc).toEqual(['QueryLambdaFunction']);
    // Roles of jobs outside the VPC get no network-interface permissions.
    for (const role of ['TransformJobRole', 'TestJobRole']) {
      expect(JSON.stringify(t.Resources[role]!.Properties)).not.toMatch(/ec2:|glue:GetConnection/);
    }
  });
});

describe('the network dev creates when no subnetIds are given', () => {
  test('is a VPC with DNS support and hostnames, private subnets in two zones and no route out', () => {
    expect(props(dev, 'Vpc', 'AWS::EC2::VPC')).toMatchObject({ EnableDnsSupport: true, EnableDnsHostnames: true });
    const subnets = resourcesOfType(dev, 'AWS::EC2::Subnet').map(([, s]) => s.Properties);
    expect(subnets.map((s) => s.AvailabilityZone)).toEqual([{ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }, { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] }]);
    for (const s of subnets) expect(s).toMatchObject({ VpcId: { Ref: 'Vpc' }, MapPublicIpOnLaunch: false });
    expect(resourcesOfType(dev, 'AWS::EC2::InternetGateway')).toEqual([]);
    expect(resourcesOfType(dev, 'AWS::EC2::NatGateway')).toEqual([]);
    expect(props(dev, 'DatabaseSubnetGroup', 'AWS::RDS::DBSubnetGroup').SubnetIds).toEqual([{ Ref: 'PrivateSubnetA' }, { Ref: 'PrivateSubnetB' }]);
  });

  test('puts the Glue connection in the first created subnet and that subnet\'s zone, never a typed one', () => {
    expect(Object.keys(dev.Parameters)).not.toEqual(expect.arrayContaining(['SubnetIds']));
    expect(Object.keys(dev.Parameters)).not.toContain('GlueAvailabilityZone');
    const requirements = at(props(dev, 'GlueConnection', 'AWS::Glue::Connection'), 'ConnectionInput.PhysicalConnectionRequirements');
    expect(requirements).toEqual({
      SubnetId: { Ref: 'PrivateSubnetA' },
      SecurityGroupIdList: [{ Ref: 'LoadJobSecurityGroup' }],
      AvailabilityZone: { 'Fn::GetAtt': ['PrivateSubnetA', 'AvailabilityZone'] },
    });
  });

  test('routes both subnets to S3 and DynamoDB through gateway endpoints', () => {
    const associations = resourcesOfType(dev, 'AWS::EC2::SubnetRouteTableAssociation').map(([, a]) => a.Properties);
    for (const subnet of ['PrivateSubnetA', 'PrivateSubnetB']) {
      const tables = associations.filter((a) => references(a.SubnetId)[0] === subnet).map((a) => references(a.RouteTableId)[0]);
      expect({ subnet, tables: tables.length }).toEqual({ subnet, tables: 1 });
      const served = endpoints(dev, 'Gateway')
        .filter((e) => references(e.RouteTableIds).includes(tables[0]!))
        .map(serviceOf)
        .sort();
      expect({ subnet, served }).toEqual({ subnet, served: ['dynamodb', 's3'] });
    }
  });

  test.each(['LoadJob', 'QueryLambdaFunction'])(
    'gives %s a path to every service it calls: a gateway endpoint, or an interface endpoint with private DNS that admits 443 from its group',
    (principal) => {
      const rows = devPaths.rows.filter((r) => r.principal === principal);
      expect(rows.filter((r) => r.service !== 'postgresql').length).toBeGreaterThan(1);
      expect(rows.filter((r) => r.result !== 'path')).toEqual([]);
      expect(devPaths.failures).toEqual([]);
    },
  );

  test('creates exactly the interface endpoints the VPC principals need, in the zones networkEndpointZones says (1 for dev)', () => {
    const needed = new Set(devPaths.rows.map((r) => r.service));
    for (const s of ['s3', 'dynamodb', 'postgresql']) needed.delete(s);
    const created = endpoints(dev, 'Interface');
    expect(created.map(serviceOf).sort()).toEqual([...needed].sort());
    for (const e of created) expect({ id: e.id, subnets: e.SubnetIds }).toEqual({ id: e.id, subnets: [{ Ref: 'PrivateSubnetA' }] });
  });

  test('admits PostgreSQL to the database only from the load job and the query function', () => {
    const ingress = list(props(dev, 'DatabaseSecurityGroup', 'AWS::EC2::SecurityGroup').SecurityGroupIngress);
    expect(ingress.map((r) => [at(r, 'FromPort'), at(r, 'ToPort'), references(at(r, 'SourceSecurityGroupId'))[0]])).toEqual([
      [5432, 5432, groupsOf(dev, 'LoadJob')[0]],
      [5432, 5432, groupsOf(dev, 'QueryLambdaFunction')[0]],
    ]);
  });

  test('gives the load job\'s group the self-referencing all-TCP rules Glue requires, and the query function\'s none', () => {
    const selfRules = (type: string, peer: string) =>
      resourcesOfType(dev, type)
        .map(([, r]) => r.Properties)
        .filter((r) => references(r.GroupId)[0] === references(r[peer])[0])
        .map((r) => [references(r.GroupId)[0], r.IpProtocol, r.FromPort, r.ToPort]);
    expect(selfRules('AWS::EC2::SecurityGroupIngress', 'SourceSecurityGroupId')).toEqual([['LoadJobSecurityGroup', 'tcp', 0, 65535]]);
    expect(selfRules('AWS::EC2::SecurityGroupEgress', 'DestinationSecurityGroupId')).toEqual([['LoadJobSecurityGroup', 'tcp', 0, 65535]]);
  });
});

test('a given network (prod) keeps its subnets, security group and typed zone, and the stack creates no network', () => {
  expect(resourcesOfType(prod, 'AWS::EC2::VPC')).toEqual([]);
  expect(resourcesOfType(prod, 'AWS::EC2::VPCEndpoint')).toEqual([]);
  expect(prod.Parameters.SubnetIds).toMatchObject({ Type: 'List<AWS::EC2::Subnet::Id>', Default: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1' });
  expect(prod.Parameters.GlueAvailabilityZone).toMatchObject({ Type: 'AWS::EC2::AvailabilityZone::Name', Default: 'us-east-1a' });
  expect(at(props(prod, 'GlueConnection', 'AWS::Glue::Connection'), 'ConnectionInput.PhysicalConnectionRequirements')).toEqual({
    SubnetId: { 'Fn::Select': [0, { Ref: 'SubnetIds' }] },
    SecurityGroupIdList: [{ Ref: 'SecurityGroupId' }],
    AvailabilityZone: { Ref: 'GlueAvailabilityZone' },
  });
  expect(at(props(prod, 'QueryLambdaFunction', 'AWS::Lambda::Function'), 'VpcConfig.SecurityGroupIds')).toEqual([{ Ref: 'SecurityGroupId' }]);
});
