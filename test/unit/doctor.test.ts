import { accountFindings, formatFindings, networkFindings, type AccountFacts, type NetworkFacts } from '../../cli/doctor';

// A network as the created one is (deploy/resources/network.yml), then each misconfiguration a fresh account meets.

const tcp = (from: number, to: number, peer: { groupIds?: string[]; cidrs?: string[] }) => ({ protocol: 'tcp', fromPort: from, toPort: to, groupIds: peer.groupIds ?? [], cidrs: peer.cidrs ?? [] });

function goodNetwork(): NetworkFacts {
  return {
    region: 'eu-west-1',
    vpc: { id: 'vpc-1', dnsSupport: true, dnsHostnames: true },
    subnets: [
      { id: 'subnet-a', zone: 'eu-west-1a' },
      { id: 'subnet-b', zone: 'eu-west-1b' },
    ],
    routes: [
      { subnetId: 'subnet-a', routeTableId: 'rtb-1', natRoute: false },
      { subnetId: 'subnet-b', routeTableId: 'rtb-1', natRoute: false },
    ],
    endpoints: [
      { service: 's3', type: 'Gateway', privateDns: false, securityGroupIds: [], routeTableIds: ['rtb-1'] },
      { service: 'dynamodb', type: 'Gateway', privateDns: false, securityGroupIds: [], routeTableIds: ['rtb-1'] },
      ...['secretsmanager', 'logs', 'monitoring', 'kms', 'xray'].map((service) => ({
        service,
        type: 'Interface' as const,
        privateDns: true,
        securityGroupIds: ['sg-endpoints'],
        routeTableIds: [],
      })),
    ],
    securityGroups: [
      { id: 'sg-load', ingress: [tcp(0, 65535, { groupIds: ['sg-load'] })], egress: [tcp(0, 65535, { groupIds: ['sg-load'] }), tcp(443, 443, { cidrs: ['0.0.0.0/0'] })] },
      { id: 'sg-query', ingress: [], egress: [tcp(443, 443, { cidrs: ['0.0.0.0/0'] })] },
      { id: 'sg-endpoints', ingress: [tcp(443, 443, { groupIds: ['sg-load'] }), tcp(443, 443, { groupIds: ['sg-query'] })], egress: [] },
      { id: 'sg-db', ingress: [tcp(5432, 5432, { groupIds: ['sg-load'] }), tcp(5432, 5432, { groupIds: ['sg-query'] })], egress: [] },
    ],
    principals: [
      { name: 'load job', securityGroupIds: ['sg-load'], subnetIds: ['subnet-a'], services: ['s3', 'dynamodb', 'secretsmanager', 'logs', 'monitoring', 'kms'] },
      { name: 'query function', securityGroupIds: ['sg-query'], subnetIds: ['subnet-a', 'subnet-b'], services: ['secretsmanager', 'xray'] },
    ],
    glueConnection: { subnetId: 'subnet-a', zone: 'eu-west-1a' },
    database: { securityGroupIds: ['sg-db'], port: 5432 },
  };
}

const broken = (change: (f: NetworkFacts) => void) => {
  const f = goodNetwork();
  change(f);
  return networkFindings(f);
};

test('passes the network the stack creates', () => {
  expect(networkFindings(goodNetwork())).toEqual([]);
  expect(formatFindings([])).toBe('doctor: no problem found');
});

test('finds a missing S3 gateway endpoint, naming the subnet, Glue\'s error and the endpoint to create', () => {
  const findings = broken((f) => (f.endpoints = f.endpoints.filter((e) => e.service !== 's3')));
  expect(findings).toHaveLength(1);
  expect(findings[0]).toMatchObject({ severity: 'error' });
  expect(findings[0]!.problem).toContain('subnet subnet-a of the load job has no route to s3');
  expect(findings[0]!.problem).toContain('Could not find S3 endpoint or NAT gateway for subnetId');
  expect(findings[0]!.fix).toBe('aws ec2 create-vpc-endpoint --vpc-id vpc-1 --vpc-endpoint-type Gateway --service-name com.amazonaws.eu-west-1.s3 --route-table-ids rtb-1');
});

test('a NAT route is a path for every service', () => {
  const f = goodNetwork();
  f.endpoints = [];
  f.routes = f.routes.map((r) => ({ ...r, natRoute: true }));
  expect(networkFindings(f)).toEqual([]);
});

test('finds an interface endpoint without private DNS', () => {
  const findings = broken((f) => (f.endpoints.find((e) => e.service === 'secretsmanager')!.privateDns = false));
  // Both principals call Secrets Manager.
  expect(findings.map((x) => x.problem)).toEqual([
    'the secretsmanager interface endpoint has private DNS off: secretsmanager.eu-west-1.amazonaws.com resolves to the public endpoint, which the load job cannot reach',
    'the secretsmanager interface endpoint has private DNS off: secretsmanager.eu-west-1.amazonaws.com resolves to the public endpoint, which the query function cannot reach',
  ]);
  expect(findings[0]!.fix).toContain('--private-dns-enabled');
});

test('finds an endpoint group that admits no 443 from a principal, with the rule to add', () => {
  const findings = broken((f) => (f.securityGroups.find((g) => g.id === 'sg-endpoints')!.ingress = [tcp(443, 443, { groupIds: ['sg-load'] })]));
  expect(findings.map((x) => x.problem)).toEqual([
    "the secretsmanager endpoint's security groups (sg-endpoints) admit no HTTPS (443) from the query function's group sg-query",
    "the xray endpoint's security groups (sg-endpoints) admit no HTTPS (443) from the query function's group sg-query",
  ]);
  expect(findings[0]!.fix).toBe("aws ec2 authorize-security-group-ingress --group-id sg-endpoints --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,UserIdGroupPairs=[{GroupId=sg-query}]'");
});

test('finds a Glue connection whose zone is not its subnet\'s', () => {
  const findings = broken((f) => (f.glueConnection.zone = 'eu-west-1b'));
  expect(findings).toEqual([
    {
      severity: 'error',
      problem: 'the Glue connection names zone eu-west-1b but its subnet subnet-a is in eu-west-1a: Glue fails with "Could not find subnet for AZ"',
      fix: 'deploy with glueAvailabilityZone empty (read from EC2) or --param="glueAvailabilityZone=eu-west-1a"',
    },
  ]);
});

test('finds DNS hostnames off', () => {
  const findings = broken((f) => (f.vpc.dnsHostnames = false));
  expect(findings).toHaveLength(1);
  expect(findings[0]!.problem).toContain('VPC vpc-1 has DNS hostnames off');
  expect(findings[0]!.fix).toBe(`aws ec2 modify-vpc-attribute --vpc-id vpc-1 --enable-dns-hostnames '{"Value":true}'`);
});

test('finds a missing Glue self-referencing rule and a database that does not admit the query function', () => {
  const findings = broken((f) => {
    f.securityGroups.find((g) => g.id === 'sg-load')!.ingress = [];
    f.securityGroups.find((g) => g.id === 'sg-db')!.ingress = [tcp(5432, 5432, { groupIds: ['sg-load'] })];
  });
  expect(findings.map((x) => x.problem)).toEqual([
    "the database's groups (sg-db) admit no PostgreSQL (5432) from the query function's group sg-query",
    'the load job\'s group sg-load does not admit all TCP from itself: Glue refuses the connection ("Inbound rule in security group required")',
  ]);
});

test('finds an interface endpoint that is missing altogether', () => {
  const findings = broken((f) => (f.endpoints = f.endpoints.filter((e) => e.service !== 'kms')));
  expect(findings.map((x) => x.problem)).toEqual(['the load job calls kms but VPC vpc-1 has no kms interface endpoint and subnet subnet-a no NAT route']);
  expect(findings[0]!.fix).toContain('--service-name com.amazonaws.eu-west-1.kms --private-dns-enabled');
});

const account = (change: (a: AccountFacts) => void = () => {}): AccountFacts => {
  const a: AccountFacts = {
    engine: { name: 'aurora-postgresql', version: '17.7', available: ['16.9', '17.5', '17.7'] },
    glueConcurrentRuns: { quota: 50, needed: 15 },
    lambdaUnreserved: { unreserved: 1000, reserved: 0 },
    stepFunctionsOpenExecutions: { quota: 1_000_000, needed: 15 },
  };
  change(a);
  return a;
};

test('finds an Aurora engine version the region does not have, offering the newest it has', () => {
  expect(accountFindings(account())).toEqual([]);
  const findings = accountFindings(account((a) => (a.engine.available = ['16.9', '17.5', '17.10'])));
  expect(findings).toEqual([
    {
      severity: 'error',
      problem: 'aurora-postgresql 17.7 does not exist in this region: creating the cluster fails',
      fix: 'deploy with --param="dbEngineVersion=17.10" (the newest here)',
    },
  ]);
});

test('warns of a Glue quota below what the jobs may run at once, and refuses a reservation Lambda would refuse', () => {
  const findings = accountFindings(
    account((a) => {
      a.glueConcurrentRuns.quota = 10;
      a.lambdaUnreserved = { unreserved: 10, reserved: 2 };
    }),
  );
  expect(findings.map((f) => [f.severity, f.problem])).toEqual([
    ['warning', "the account allows 10 concurrent Glue job runs, the stage's three jobs up to 15: runs beyond it wait in Glue's queue"],
    ['error', 'reserving 2 Lambda executions leaves 8 unreserved; Lambda refuses a reservation below 100'],
  ]);
});
