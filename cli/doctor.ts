// `landing-etl doctor`: what would break a deploy or a run, read from the account's network, engine versions and
// quotas (cli/doctor-aws.ts gathers them with read-only describe calls) and checked here, purely, into findings that
// each name the problem and its fix.

/** One security-group rule as EC2 describes it: protocol ('-1' = all), port range, sources or destinations. */
export interface Rule {
  protocol: string;
  fromPort?: number | undefined;
  toPort?: number | undefined;
  groupIds: string[];
  cidrs: string[];
}

export interface SecurityGroup {
  id: string;
  ingress: Rule[];
  egress: Rule[];
}

/** A principal that runs in the VPC, its interfaces' groups and subnets, and the AWS services it calls. */
export interface VpcPrincipal {
  name: string;
  securityGroupIds: string[];
  subnetIds: string[];
  services: string[];
}

export interface NetworkFacts {
  region: string;
  vpc: { id: string; dnsSupport: boolean; dnsHostnames: boolean };
  subnets: Array<{ id: string; zone: string }>;
  /** Each subnet's route table (its own association or the VPC's main table). */
  routes: Array<{ subnetId: string; routeTableId: string; natRoute: boolean }>;
  endpoints: Array<{ service: string; type: 'Gateway' | 'Interface'; privateDns: boolean; securityGroupIds: string[]; routeTableIds: string[] }>;
  securityGroups: SecurityGroup[];
  principals: VpcPrincipal[];
  /** The Glue connection of the load job: its subnet and the zone it names. */
  glueConnection: { subnetId: string; zone: string };
  database?: { securityGroupIds: string[]; port: number } | undefined;
}

export interface AccountFacts {
  engine: { name: string; version: string; available: string[] };
  /** Applied quota values (undefined: not readable) and what the stage needs of them. */
  glueConcurrentRuns: { quota: number | undefined; needed: number };
  lambdaUnreserved: { unreserved: number | undefined; reserved: number };
  stepFunctionsOpenExecutions: { quota: number | undefined; needed: number };
}

export interface Finding {
  severity: 'error' | 'warning';
  problem: string;
  fix: string;
}

/** Services whose gateway endpoint a route table carries; any other needs an interface endpoint or a NAT route. */
const GATEWAY_SERVICES = new Set(['s3', 'dynamodb']);

const covers = (rule: Rule, port: number) =>
  rule.protocol === '-1' || (rule.protocol === 'tcp' && (rule.fromPort ?? 0) <= port && port <= (rule.toPort ?? 65535));
const allTcp = (rule: Rule) => rule.protocol === '-1' || (rule.protocol === 'tcp' && (rule.fromPort ?? 0) === 0 && (rule.toPort ?? 0) === 65535);
const fromAnyOf = (rule: Rule, groups: string[]) => rule.groupIds.some((g) => groups.includes(g)) || rule.cidrs.includes('0.0.0.0/0');

const sgRule = (direction: 'ingress' | 'egress', group: string, port: string, peer: string) =>
  `aws ec2 authorize-security-group-${direction} --group-id ${group} --ip-permissions ` +
  `'IpProtocol=tcp,FromPort=${port.split('-')[0]},ToPort=${port.split('-').pop()},UserIdGroupPairs=[{GroupId=${peer}}]'`;

/** Every problem of the network the VPC principals use, with its fix; empty when all of it works. */
export function networkFindings(f: NetworkFacts): Finding[] {
  const findings: Finding[] = [];
  const error = (problem: string, fix: string) => findings.push({ severity: 'error', problem, fix });
  const group = (id: string) => f.securityGroups.find((g) => g.id === id);

  for (const [attribute, on] of [
    ['dns-support', f.vpc.dnsSupport],
    ['dns-hostnames', f.vpc.dnsHostnames],
  ] as const) {
    if (!on) {
      error(
        `VPC ${f.vpc.id} has ${attribute === 'dns-support' ? 'DNS resolution' : 'DNS hostnames'} off: interface endpoints' private DNS names do not resolve, so the SDKs reach the public endpoints and time out`,
        `aws ec2 modify-vpc-attribute --vpc-id ${f.vpc.id} --enable-${attribute} '{"Value":true}'`,
      );
    }
  }

  const connectionSubnet = f.subnets.find((s) => s.id === f.glueConnection.subnetId);
  if (!connectionSubnet) {
    error(`the Glue connection's subnet ${f.glueConnection.subnetId} is not in VPC ${f.vpc.id}`, 'deploy again with subnetIds of that VPC');
  } else if (connectionSubnet.zone !== f.glueConnection.zone) {
    error(
      `the Glue connection names zone ${f.glueConnection.zone} but its subnet ${connectionSubnet.id} is in ${connectionSubnet.zone}: Glue fails with "Could not find subnet for AZ"`,
      `deploy with glueAvailabilityZone empty (read from EC2) or --param="glueAvailabilityZone=${connectionSubnet.zone}"`,
    );
  }

  for (const p of f.principals) {
    const groups = p.securityGroupIds;
    for (const service of p.services) {
      for (const subnetId of p.subnetIds) {
        const route = f.routes.find((r) => r.subnetId === subnetId);
        if (route?.natRoute) continue;
        if (GATEWAY_SERVICES.has(service)) {
          if (!f.endpoints.some((e) => e.type === 'Gateway' && e.service === service && route && e.routeTableIds.includes(route.routeTableId))) {
            error(
              `subnet ${subnetId} of the ${p.name} has no route to ${service}: no ${service} gateway endpoint on its route table ${route?.routeTableId ?? '(none)'} and no NAT route` +
                (service === 's3' && p.name === 'load job' ? ' (Glue: "Could not find S3 endpoint or NAT gateway for subnetId")' : ''),
              `aws ec2 create-vpc-endpoint --vpc-id ${f.vpc.id} --vpc-endpoint-type Gateway --service-name com.amazonaws.${f.region}.${service} --route-table-ids ${route?.routeTableId ?? '<its route table>'}`,
            );
          }
          continue;
        }
        const endpoint = f.endpoints.find((e) => e.type === 'Interface' && e.service === service);
        if (!endpoint) {
          error(
            `the ${p.name} calls ${service} but VPC ${f.vpc.id} has no ${service} interface endpoint and subnet ${subnetId} no NAT route`,
            `aws ec2 create-vpc-endpoint --vpc-id ${f.vpc.id} --vpc-endpoint-type Interface --service-name com.amazonaws.${f.region}.${service} --private-dns-enabled --subnet-ids ${subnetId} --security-group-ids <a group admitting 443 from ${groups.join(', ')}>`,
          );
          break;
        }
        if (!endpoint.privateDns) {
          error(
            `the ${service} interface endpoint has private DNS off: ${service}.${f.region}.amazonaws.com resolves to the public endpoint, which the ${p.name} cannot reach`,
            `aws ec2 modify-vpc-endpoint --vpc-endpoint-id <the ${service} endpoint> --private-dns-enabled`,
          );
        }
        const admits = endpoint.securityGroupIds.some((id) => group(id)?.ingress.some((r) => covers(r, 443) && fromAnyOf(r, groups)));
        if (!admits) {
          error(
            `the ${service} endpoint's security groups (${endpoint.securityGroupIds.join(', ')}) admit no HTTPS (443) from the ${p.name}'s group ${groups.join(', ')}`,
            sgRule('ingress', endpoint.securityGroupIds[0] ?? '<the endpoint group>', '443', groups[0]!),
          );
        }
        break;
      }
    }
    const leavesOn443 = groups.some((id) => group(id)?.egress.some((r) => covers(r, 443)));
    if (!leavesOn443) {
      error(`the ${p.name}'s group ${groups.join(', ')} lets no HTTPS (443) out: it reaches no endpoint`, `aws ec2 authorize-security-group-egress --group-id ${groups[0]} --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0}]'`);
    }
    if (f.database) {
      const db = f.database;
      const admitted = db.securityGroupIds.some((id) => group(id)?.ingress.some((r) => covers(r, db.port) && r.groupIds.some((g) => groups.includes(g))));
      if (!admitted) {
        error(`the database's groups (${db.securityGroupIds.join(', ')}) admit no PostgreSQL (${db.port}) from the ${p.name}'s group ${groups.join(', ')}`, sgRule('ingress', db.securityGroupIds[0] ?? '<the database group>', String(db.port), groups[0]!));
      }
    }
  }

  const load = f.principals.find((p) => p.name === 'load job');
  for (const id of load?.securityGroupIds ?? []) {
    const g = group(id);
    const selfIn = g?.ingress.some((r) => allTcp(r) && r.groupIds.includes(id));
    const selfOut = g?.egress.some((r) => allTcp(r) && (r.groupIds.includes(id) || r.cidrs.includes('0.0.0.0/0')));
    if (!selfIn) error(`the load job's group ${id} does not admit all TCP from itself: Glue refuses the connection ("Inbound rule in security group required")`, sgRule('ingress', id, '0-65535', id));
    if (!selfOut) error(`the load job's group ${id} does not let all TCP out to itself: Glue refuses the connection ("Outbound rule in security group required")`, sgRule('egress', id, '0-65535', id));
  }
  return findings;
}

/** What in the account would stop a deploy or slow the runs: the engine version, the quotas that matter. */
export function accountFindings(a: AccountFacts): Finding[] {
  const findings: Finding[] = [];
  if (a.engine.version && !a.engine.available.includes(a.engine.version)) {
    const newest = [...a.engine.available].sort((x, y) => x.localeCompare(y, 'en', { numeric: true })).pop();
    findings.push({
      severity: 'error',
      problem: `${a.engine.name} ${a.engine.version} does not exist in this region: creating the cluster fails`,
      fix: newest ? `deploy with --param="dbEngineVersion=${newest}" (the newest here)` : `aws rds describe-db-engine-versions --engine ${a.engine.name} lists what does`,
    });
  }
  const { quota, needed } = a.glueConcurrentRuns;
  if (quota !== undefined && quota < needed) {
    findings.push({
      severity: 'warning',
      problem: `the account allows ${quota} concurrent Glue job runs, the stage's three jobs up to ${needed}: runs beyond it wait in Glue's queue`,
      fix: 'request more ("Max concurrent job runs per account", Service Quotas) or lower glueMaxConcurrentRuns',
    });
  }
  const { unreserved, reserved } = a.lambdaUnreserved;
  if (unreserved !== undefined && unreserved - reserved < 100) {
    findings.push({
      severity: 'error',
      problem: `reserving ${reserved} Lambda executions leaves ${unreserved - reserved} unreserved; Lambda refuses a reservation below 100`,
      fix: 'leave executorReservedConcurrency and queryReservedConcurrency empty, or request a higher "Concurrent executions" quota',
    });
  }
  const sfn = a.stepFunctionsOpenExecutions;
  if (sfn.quota !== undefined && sfn.quota < sfn.needed) {
    findings.push({ severity: 'warning', problem: `Step Functions allows ${sfn.quota} open executions, fewer than ${sfn.needed}`, fix: 'request more ("Open executions", Service Quotas)' });
  }
  return findings;
}

/** The findings as the command prints them, one block each: what is wrong, then the fix. */
export function formatFindings(findings: Finding[]): string {
  if (!findings.length) return 'doctor: no problem found';
  return findings.map((f) => `${f.severity.toUpperCase()}: ${f.problem}\n  fix: ${f.fix}`).join('\n');
}
