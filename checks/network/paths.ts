import type { Json, Template } from '../../local/template';

/** The network paths of a packaged template: which of its principals run in a VPC, and, for a service or the
 *  database, the path from their subnets and security groups, or the piece that is missing. Read from the template as
 *  it is written (Ref / Fn::GetAtt between its resources), so a network the stack creates is proven here; a network
 *  the stage is given (subnets and groups as parameters) is the account's and only `landing-etl doctor` can see it. */

export interface VpcPrincipal {
  /** The job or function (LoadJob, QueryLambdaFunction). */
  id: string;
  kind: 'Glue job' | 'Lambda function';
  /** The logical id of its role: what the recorded calls name as their principal. */
  role: string;
  /** Template subnets and groups; empty when the template takes them as parameters (a given network). */
  subnets: string[];
  groups: string[];
  /** The parameters a given network comes from; empty for a created one. */
  given: string[];
  /** The database host the deployment hands it, when it has one (DB_HOST, --db_host). */
  databaseHost?: Json;
}

export type Path = { ok: true; path: string } | { ok: false; missing: string };

type Props = Record<string, Json>;
const isObject = (v: Json | undefined): v is { [key: string]: Json } => !!v && typeof v === 'object' && !Array.isArray(v);
const list = (v: Json | undefined): Json[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** The logical id a `Ref` or `Fn::GetAtt` names. */
export function refOf(node: Json | undefined): string | undefined {
  if (!isObject(node)) return undefined;
  if (typeof node.Ref === 'string') return node.Ref;
  const att = node['Fn::GetAtt'];
  if (Array.isArray(att)) return String(att[0]);
  return typeof att === 'string' ? att.split('.')[0] : undefined;
}

/** Every logical id or parameter referenced anywhere under a node. */
function referenced(node: Json | undefined, into = new Set<string>()): Set<string> {
  const id = refOf(node);
  if (id) into.add(id);
  else if (Array.isArray(node)) for (const n of node) referenced(n, into);
  else if (isObject(node)) for (const n of Object.values(node)) referenced(n, into);
  return into;
}

/** The service an endpoint serves: "secretsmanager" of com.amazonaws.${AWS::Region}.secretsmanager. */
function endpointService(props: Props): string {
  const name = props.ServiceName;
  const text = typeof name === 'string' ? name : isObject(name) && typeof name['Fn::Sub'] === 'string' ? name['Fn::Sub'] : '';
  return text.split('.').pop() ?? '';
}

/** A security-group rule: tcp (or all traffic) over the port, from or to a group or 0.0.0.0/0. */
interface Rule {
  group: string;
  protocol: string;
  from: number;
  to: number;
  peerGroup?: string;
  cidr?: string;
}

const coversPort = (r: Rule, port: number) => r.protocol === '-1' || ((r.protocol === 'tcp' || r.protocol === '6') && r.from <= port && port <= r.to);

export class TemplateNetwork {
  private readonly resources: Template['Resources'];

  constructor(readonly template: Template) {
    this.resources = template.Resources;
  }

  private ofType(type: string): Array<[string, Props]> {
    return Object.entries(this.resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => [id, (r.Properties ?? {}) as Props]);
  }

  private props(id: string): Props {
    return (this.resources[id]?.Properties ?? {}) as Props;
  }

  private isResource(id: string, type: string): boolean {
    return this.resources[id]?.Type === type;
  }

  /** The jobs with a Glue connection and the functions with a VpcConfig: the principals with network interfaces. */
  principals(): VpcPrincipal[] {
    const found: VpcPrincipal[] = [];
    const split = (ids: Set<string>, type: string) => {
      const inTemplate = [...ids].filter((id) => this.isResource(id, type));
      const given = [...ids].filter((id) => this.template.Parameters?.[id] !== undefined);
      return { inTemplate, given };
    };
    for (const [id, p] of this.ofType('AWS::Lambda::Function')) {
      const vpc = p.VpcConfig;
      if (!isObject(vpc)) continue;
      const subnets = split(referenced(vpc.SubnetIds), 'AWS::EC2::Subnet');
      const groups = split(referenced(vpc.SecurityGroupIds), 'AWS::EC2::SecurityGroup');
      const env = isObject(p.Environment) && isObject(p.Environment.Variables) ? p.Environment.Variables : {};
      found.push({
        id,
        kind: 'Lambda function',
        role: refOf(p.Role) ?? '',
        subnets: subnets.inTemplate,
        groups: groups.inTemplate,
        given: [...new Set([...subnets.given, ...groups.given])],
        ...(env.DB_HOST !== undefined ? { databaseHost: env.DB_HOST } : {}),
      });
    }
    for (const [id, p] of this.ofType('AWS::Glue::Job')) {
      const connections = isObject(p.Connections) ? [...referenced(p.Connections.Connections)] : [];
      const connection = connections.find((c) => this.isResource(c, 'AWS::Glue::Connection'));
      if (!connection) continue;
      const input = this.props(connection).ConnectionInput;
      const requirements = isObject(input) ? input.PhysicalConnectionRequirements : undefined;
      const r = isObject(requirements) ? requirements : {};
      const subnets = split(referenced(r.SubnetId), 'AWS::EC2::Subnet');
      const groups = split(referenced(r.SecurityGroupIdList), 'AWS::EC2::SecurityGroup');
      const args = { ...(isObject(p.DefaultArguments) ? p.DefaultArguments : {}), ...(isObject(p.NonOverridableArguments) ? p.NonOverridableArguments : {}) };
      found.push({
        id,
        kind: 'Glue job',
        role: refOf(p.Role) ?? '',
        subnets: subnets.inTemplate,
        groups: groups.inTemplate,
        given: [...new Set([...subnets.given, ...groups.given])],
        ...(args['--db_host'] !== undefined ? { databaseHost: args['--db_host'] } : {}),
      });
    }
    return found;
  }

  /** What the platform calls from inside the VPC on a principal's behalf, from the template's settings, each with the
   *  setting that causes it. Not observable locally: the local stack runs no Glue or Lambda platform. */
  platformServices(p: VpcPrincipal): Array<{ service: string; because: string }> {
    const props = this.props(p.id);
    const needs: Array<{ service: string; because: string }> = [];
    if (p.kind === 'Lambda function') {
      // Active tracing: the X-Ray daemon of the execution environment sends over the function's VPC interfaces.
      if (isObject(props.TracingConfig) && props.TracingConfig.Mode === 'Active') needs.push({ service: 'xray', because: 'TracingConfig.Mode Active' });
      return needs;
    }
    const args = isObject(props.DefaultArguments) ? props.DefaultArguments : {};
    if (args['--enable-continuous-cloudwatch-log'] === 'true') needs.push({ service: 'logs', because: '--enable-continuous-cloudwatch-log' });
    for (const flag of ['--enable-metrics', '--enable-observability-metrics']) {
      if (args[flag] === 'true' && !needs.some((n) => n.service === 'monitoring')) needs.push({ service: 'monitoring', because: flag });
    }
    // A security configuration with KMS needs a route to KMS (AWS Glue, "Encrypting data written by AWS Glue":
    // "Creating a route to AWS KMS for VPC jobs and crawlers").
    const configuration = refOf(props.SecurityConfiguration);
    if (configuration && JSON.stringify(this.props(configuration)).includes('KMS')) needs.push({ service: 'kms', because: `SecurityConfiguration ${configuration}` });
    return needs;
  }

  private vpcOf(subnet: string): string | undefined {
    return refOf(this.props(subnet).VpcId);
  }

  private routeTableOf(subnet: string): string | undefined {
    const association = this.ofType('AWS::EC2::SubnetRouteTableAssociation').find(([, a]) => refOf(a.SubnetId) === subnet);
    return association ? refOf(association[1].RouteTableId) : undefined;
  }

  private natRoute(table: string): string | undefined {
    return this.ofType('AWS::EC2::Route').find(([, r]) => refOf(r.RouteTableId) === table && r.DestinationCidrBlock === '0.0.0.0/0' && r.NatGatewayId !== undefined)?.[0];
  }

  /** A group's rules, inline and as separate resources. A group that lists no egress keeps EC2's default rule, all
   *  traffic out ("AWS::EC2::SecurityGroup": the default egress rule is removed only when SecurityGroupEgress is given). */
  private rules(group: string, direction: 'ingress' | 'egress'): Rule[] {
    const inline = direction === 'ingress' ? 'SecurityGroupIngress' : 'SecurityGroupEgress';
    const peerKey = direction === 'ingress' ? 'SourceSecurityGroupId' : 'DestinationSecurityGroupId';
    const rule = (r: Props): Rule => ({
      group,
      protocol: String(r.IpProtocol ?? ''),
      from: Number(r.FromPort ?? 0),
      to: Number(r.ToPort ?? 65535),
      ...(refOf(r[peerKey]) ? { peerGroup: refOf(r[peerKey])! } : {}),
      ...(typeof r.CidrIp === 'string' ? { cidr: r.CidrIp } : {}),
    });
    const own = this.props(group)[inline];
    const rules = list(own).filter(isObject).map(rule);
    if (direction === 'egress' && own === undefined) rules.push({ group, protocol: '-1', from: 0, to: 65535, cidr: '0.0.0.0/0' });
    const type = direction === 'ingress' ? 'AWS::EC2::SecurityGroupIngress' : 'AWS::EC2::SecurityGroupEgress';
    for (const [, r] of this.ofType(type)) if (refOf(r.GroupId) === group) rules.push(rule(r));
    return rules;
  }

  /** The rule of `to`'s groups that admits `port` from one of `from`'s, and the rule of `from`'s that lets it out. */
  private admits(from: string[], to: string[], port: number): { in?: Rule; out?: Rule } {
    const inbound = to.flatMap((g) => this.rules(g, 'ingress')).find((r) => coversPort(r, port) && ((r.peerGroup && from.includes(r.peerGroup)) || r.cidr === '0.0.0.0/0'));
    const outbound = from.flatMap((g) => this.rules(g, 'egress')).find((r) => coversPort(r, port) && ((r.peerGroup && to.includes(r.peerGroup)) || r.cidr === '0.0.0.0/0'));
    return { ...(inbound ? { in: inbound } : {}), ...(outbound ? { out: outbound } : {}) };
  }

  /** The path from a principal's subnets to a service: a gateway endpoint or a NAT route on each subnet's route
   *  table, or an interface endpoint with private DNS in its VPC that admits 443 from its group. */
  pathTo(p: VpcPrincipal, service: string): Path {
    if (!p.subnets.length) return { ok: false, missing: `${p.id} has no subnet of this template` };
    const paths: string[] = [];
    const vpcs = new Set(p.subnets.map((s) => this.vpcOf(s)));
    const [vpc] = vpcs;
    if (!vpc || vpcs.size > 1) return { ok: false, missing: `the subnets of ${p.id} (${p.subnets.join(', ')}) are not in one VPC of the template` };
    const interfaceEndpoints = this.ofType('AWS::EC2::VPCEndpoint').filter(([, e]) => e.VpcEndpointType === 'Interface' && endpointService(e) === service);
    const viaInterface = this.interfacePath(p, vpc, service, interfaceEndpoints);
    for (const subnet of p.subnets) {
      const table = this.routeTableOf(subnet);
      const gateway = table
        ? this.ofType('AWS::EC2::VPCEndpoint').find(
            ([, e]) => (e.VpcEndpointType ?? 'Gateway') === 'Gateway' && endpointService(e) === service && [...referenced(e.RouteTableIds)].includes(table),
          )?.[0]
        : undefined;
      const nat = table ? this.natRoute(table) : undefined;
      if (gateway) paths.push(`gateway endpoint ${gateway} on ${table}`);
      else if (nat) paths.push(`NAT route ${nat} on ${table}`);
      else if (viaInterface.ok) paths.push(viaInterface.path);
      else {
        const route = table ? `route table ${table} of ${subnet} has no ${service} gateway endpoint and no NAT route` : `subnet ${subnet} has no route table association`;
        return { ok: false, missing: `${route}, and ${viaInterface.missing}` };
      }
    }
    return { ok: true, path: [...new Set(paths)].join('; ') };
  }

  private interfacePath(p: VpcPrincipal, vpc: string, service: string, endpoints: Array<[string, Props]>): Path {
    const inVpc = endpoints.filter(([, e]) => refOf(e.VpcId) === vpc);
    if (!inVpc.length) return { ok: false, missing: `VPC ${vpc} has no ${service} interface endpoint (com.amazonaws.<region>.${service})` };
    const problems: string[] = [];
    for (const [id, e] of inVpc) {
      if (e.PrivateDnsEnabled !== true) {
        problems.push(`interface endpoint ${id} has no private DNS (PrivateDnsEnabled), so ${service}'s name does not resolve to it`);
        continue;
      }
      const dns = this.props(vpc);
      if (dns.EnableDnsSupport !== true || dns.EnableDnsHostnames !== true) {
        problems.push(`VPC ${vpc} lacks EnableDnsSupport and EnableDnsHostnames, which the private DNS of ${id} needs`);
        continue;
      }
      const groups = [...referenced(e.SecurityGroupIds)];
      const { in: inbound, out } = this.admits(p.groups, groups, 443);
      if (!inbound) {
        problems.push(`the security groups of interface endpoint ${id} (${groups.join(', ') || 'none'}) admit no 443 from ${p.groups.join(', ')}`);
        continue;
      }
      if (!out) {
        problems.push(`the security groups of ${p.id} (${p.groups.join(', ')}) let no 443 out to interface endpoint ${id}`);
        continue;
      }
      return { ok: true, path: `interface endpoint ${id} (private DNS, 443 admitted by ${inbound.group})` };
    }
    return { ok: false, missing: problems.join('; ') };
  }

  /** The path from a principal to the database cluster of the template, on its port. */
  pathToDatabase(p: VpcPrincipal): Path {
    const host = referenced(p.databaseHost);
    const cluster = [...host].find((id) => this.isResource(id, 'AWS::RDS::DBCluster'));
    if (!cluster) return { ok: false, missing: `the database ${p.id} is handed is not a cluster of this template` };
    const props = this.props(cluster);
    const port = Number(props.Port ?? 5432);
    const groups = [...referenced(props.VpcSecurityGroupIds)];
    const { in: inbound, out } = this.admits(p.groups, groups, port);
    if (!inbound) return { ok: false, missing: `the security groups of ${cluster} (${groups.join(', ') || 'none'}) admit no ${port} from ${p.groups.join(', ')}` };
    if (!out) return { ok: false, missing: `the security groups of ${p.id} (${p.groups.join(', ')}) let no ${port} out to ${cluster}` };
    return { ok: true, path: `${cluster} on ${port}, admitted by ${inbound.group}` };
  }
}

/** The endpoint name of the service an IAM action belongs to: CloudWatch's API is `monitoring`. */
export function serviceOfAction(action: string): string {
  const prefix = action.split(':')[0]!;
  return prefix === 'cloudwatch' ? 'monitoring' : prefix;
}

/** What the local AWS gateway may forward: for each role whose principal runs in a VPC, the services its subnets
 *  reach in the template and, for the others, why not. Roles not in a VPC reach every public endpoint. */
export interface Reachability {
  /** undefined: forward; a message: AWS would time out connecting, for the reason given. */
  refusal(role: string, service: string): string | undefined;
}

export function reachability(template: Template): Reachability {
  const network = new TemplateNetwork(template);
  const byRole = new Map(network.principals().filter((p) => !p.given.length).map((p) => [p.role, p] as const));
  const cache = new Map<string, string | undefined>();
  return {
    refusal(role, service) {
      const p = byRole.get(role);
      if (!p) return undefined;
      const key = `${role}\0${service}`;
      if (!cache.has(key)) {
        const path = network.pathTo(p, service);
        cache.set(
          key,
          path.ok
            ? undefined
            : `no network path: ${p.id} (${role}) runs in the VPC and its call to ${service} would time out connecting on AWS: ${path.missing}`,
        );
      }
      return cache.get(key);
    },
  };
}
