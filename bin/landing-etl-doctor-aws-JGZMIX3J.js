#!/usr/bin/env node
// Built by `npm run build:cli` (scripts/build-cli.mjs) from cli/: edit the sources, then rebuild.

// cli/doctor-aws.ts
import { CloudFormationClient, DescribeStackResourcesCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { GetConnectionCommand, GlueClient } from "@aws-sdk/client-glue";
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
var VPC_PRINCIPAL_SERVICES = {
  "load job": ["s3", "dynamodb", "secretsmanager", "logs", "monitoring", "kms"],
  "query function": ["secretsmanager", "xray"]
};
async function service(pkg, client, region) {
  const mod = await import(pkg).catch((e) => {
    throw e.code === "ERR_MODULE_NOT_FOUND" ? new Error(`doctor needs ${pkg}, a production dependency: run npm ci`) : e;
  });
  const instance = new mod[client](region ? { region } : {});
  return (command, input) => instance.send(new mod[`${command}Command`](input));
}
var ids = z.array(z.object({ GroupId: z.string() })).default([]);
var permissions = z.array(
  z.object({
    IpProtocol: z.string(),
    FromPort: z.number().optional(),
    ToPort: z.number().optional(),
    UserIdGroupPairs: z.array(z.object({ GroupId: z.string().optional() })).default([]),
    IpRanges: z.array(z.object({ CidrIp: z.string().optional() })).default([])
  })
).default([]);
var rules = (p) => p.map((r) => ({
  protocol: r.IpProtocol,
  fromPort: r.FromPort,
  toPort: r.ToPort,
  groupIds: r.UserIdGroupPairs.flatMap((g) => g.GroupId ? [g.GroupId] : []),
  cidrs: r.IpRanges.flatMap((c) => c.CidrIp ? [c.CidrIp] : [])
}));
var asRecord = (v) => v && typeof v === "object" ? v : {};
function planFromTemplate(path) {
  if (!existsSync(path)) throw new Error(`${path} is missing: package the stage first (npm run package, or sls package --stage S)`);
  const t = asRecord(JSON.parse(readFileSync(path, "utf8")));
  const params = asRecord(t.Parameters);
  const resources = asRecord(t.Resources);
  const def = (name) => String(asRecord(params[name]).Default ?? "");
  const props = (id) => asRecord(asRecord(resources[id]).Properties);
  const subnetIds = def("SubnetIds").split(",").filter(Boolean);
  const group = def("SecurityGroupId");
  const reserved = ["ExecutorLambdaFunction", "QueryLambdaFunction", "IngestionsLambdaFunction"].reduce(
    (sum, id) => sum + Number(props(id).ReservedConcurrentExecutions ?? 0),
    0
  );
  return {
    subnetIds,
    glueConnectionName: String(asRecord(props("GlueConnection").ConnectionInput).Name ?? ""),
    glueConnection: subnetIds.length ? { subnetId: subnetIds[0], zone: def("GlueAvailabilityZone"), securityGroupIds: [group] } : void 0,
    loadSecurityGroupIds: group ? [group] : [],
    querySecurityGroupIds: group ? [group] : [],
    databaseSecurityGroupIds: [],
    engineVersion: String(props("DatabaseCluster").EngineVersion ?? ""),
    glueMaxConcurrentRuns: Number(asRecord(props("LoadJob").ExecutionProperty).MaxConcurrentRuns ?? 1),
    reservedConcurrency: reserved
  };
}
async function planFromStack(stage, region, template) {
  const cfn = new CloudFormationClient(region ? { region } : {});
  const StackName = `landing-etl-${stage}`;
  try {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName }))).Stacks?.[0];
    const { StackResources = [] } = await cfn.send(new DescribeStackResourcesCommand({ StackName }));
    const physical = (id) => StackResources.find((r) => r.LogicalResourceId === id)?.PhysicalResourceId;
    const param = (name2) => stack?.Parameters?.find((p) => p.ParameterKey === name2)?.ParameterValue ?? "";
    const created = physical("Vpc") !== void 0;
    const glue = new GlueClient(region ? { region } : {});
    const name = template.glueConnectionName;
    const connection = name ? (await glue.send(new GetConnectionCommand({ Name: name }))).Connection?.PhysicalConnectionRequirements : void 0;
    glue.destroy();
    const given = param("SecurityGroupId");
    return {
      ...template,
      subnetIds: created ? [physical("PrivateSubnetA"), physical("PrivateSubnetB")].filter((s) => !!s) : param("SubnetIds").split(","),
      glueConnection: connection?.SubnetId ? { subnetId: connection.SubnetId, zone: connection.AvailabilityZone ?? "", securityGroupIds: connection.SecurityGroupIdList ?? [] } : template.glueConnection,
      loadSecurityGroupIds: created ? [physical("LoadJobSecurityGroup")] : [given],
      querySecurityGroupIds: created ? [physical("QueryFunctionSecurityGroup")] : [given],
      databaseSecurityGroupIds: [physical("DatabaseSecurityGroup")].filter((s) => !!s)
    };
  } catch (e) {
    if (e.name === "ValidationError") return null;
    throw e;
  } finally {
    cfn.destroy();
  }
}
async function describeNetwork(plan, region) {
  if (!plan.subnetIds.length) return null;
  const ec2 = await service("@aws-sdk/client-ec2", "EC2Client", region);
  const subnets = z.object({ Subnets: z.array(z.object({ SubnetId: z.string(), AvailabilityZone: z.string(), VpcId: z.string() })).default([]) }).parse(await ec2("DescribeSubnets", { SubnetIds: plan.subnetIds })).Subnets;
  const vpcId = subnets[0]?.VpcId ?? "";
  const inVpc = { Filters: [{ Name: "vpc-id", Values: [vpcId] }] };
  const attribute = async (Attribute, key) => z.object({ [key]: z.object({ Value: z.boolean() }) }).parse(await ec2("DescribeVpcAttribute", { VpcId: vpcId, Attribute }))[key].Value;
  const tables = z.object({
    RouteTables: z.array(
      z.object({
        RouteTableId: z.string(),
        Associations: z.array(z.object({ SubnetId: z.string().optional(), Main: z.boolean().optional() })).default([]),
        Routes: z.array(z.object({ DestinationCidrBlock: z.string().optional(), NatGatewayId: z.string().optional() })).default([])
      })
    )
  }).parse(await ec2("DescribeRouteTables", inVpc)).RouteTables;
  const tableOf = (subnetId) => tables.find((t) => t.Associations.some((a) => a.SubnetId === subnetId)) ?? tables.find((t) => t.Associations.some((a) => a.Main));
  const endpoints = z.object({
    VpcEndpoints: z.array(
      z.object({
        ServiceName: z.string(),
        VpcEndpointType: z.enum(["Gateway", "Interface", "GatewayLoadBalancer", "Resource", "ServiceNetwork"]),
        PrivateDnsEnabled: z.boolean().optional(),
        Groups: z.array(z.object({ GroupId: z.string() })).default([]),
        RouteTableIds: z.array(z.string()).default([])
      })
    )
  }).parse(await ec2("DescribeVpcEndpoints", inVpc)).VpcEndpoints;
  const groups = z.object({ SecurityGroups: z.array(z.object({ GroupId: z.string(), IpPermissions: permissions, IpPermissionsEgress: permissions })) }).parse(await ec2("DescribeSecurityGroups", inVpc)).SecurityGroups;
  return {
    region,
    vpc: { id: vpcId, dnsSupport: await attribute("enableDnsSupport", "EnableDnsSupport"), dnsHostnames: await attribute("enableDnsHostnames", "EnableDnsHostnames") },
    subnets: subnets.map((s) => ({ id: s.SubnetId, zone: s.AvailabilityZone })),
    routes: plan.subnetIds.flatMap((subnetId) => {
      const t = tableOf(subnetId);
      return t ? [{ subnetId, routeTableId: t.RouteTableId, natRoute: t.Routes.some((r) => r.DestinationCidrBlock === "0.0.0.0/0" && !!r.NatGatewayId) }] : [];
    }),
    endpoints: endpoints.filter((e) => e.VpcEndpointType === "Gateway" || e.VpcEndpointType === "Interface").map((e) => ({
      service: e.ServiceName.split(".").pop(),
      type: e.VpcEndpointType,
      privateDns: e.PrivateDnsEnabled ?? false,
      securityGroupIds: ids.parse(e.Groups).map((g) => g.GroupId),
      routeTableIds: e.RouteTableIds
    })),
    securityGroups: groups.map((g) => ({ id: g.GroupId, ingress: rules(g.IpPermissions), egress: rules(g.IpPermissionsEgress) })),
    principals: [
      { name: "load job", securityGroupIds: plan.loadSecurityGroupIds, subnetIds: plan.glueConnection ? [plan.glueConnection.subnetId] : [], services: [...VPC_PRINCIPAL_SERVICES["load job"]] },
      { name: "query function", securityGroupIds: plan.querySecurityGroupIds, subnetIds: plan.subnetIds, services: [...VPC_PRINCIPAL_SERVICES["query function"]] }
    ],
    glueConnection: plan.glueConnection ?? { subnetId: plan.subnetIds[0], zone: "" },
    database: plan.databaseSecurityGroupIds.length ? { securityGroupIds: plan.databaseSecurityGroupIds, port: 5432 } : void 0
  };
}
var quotaList = z.object({ Quotas: z.array(z.object({ QuotaName: z.string(), Value: z.number().optional() })).default([]) });
async function describeAccount(plan, region) {
  const rds = await service("@aws-sdk/client-rds", "RDSClient", region);
  const versions = z.object({ DBEngineVersions: z.array(z.object({ EngineVersion: z.string() })).default([]) }).parse(await rds("DescribeDBEngineVersions", { Engine: "aurora-postgresql" })).DBEngineVersions.map((v) => v.EngineVersion);
  const quotas = await service("@aws-sdk/client-service-quotas", "ServiceQuotasClient", region);
  const quota = async (ServiceCode, name) => quotaList.parse(await quotas("ListServiceQuotas", { ServiceCode }).catch(() => ({}))).Quotas.find((q) => name.test(q.QuotaName))?.Value;
  const lambda = await service("@aws-sdk/client-lambda", "LambdaClient", region);
  const settings = z.object({ AccountLimit: z.object({ UnreservedConcurrentExecutions: z.number().optional() }).optional() }).parse(await lambda("GetAccountSettings", {}));
  return {
    engine: { name: "aurora-postgresql", version: plan.engineVersion, available: versions },
    glueConcurrentRuns: { quota: await quota("glue", /concurrent job runs per account/i), needed: 3 * plan.glueMaxConcurrentRuns },
    lambdaUnreserved: { unreserved: settings.AccountLimit?.UnreservedConcurrentExecutions, reserved: plan.reservedConcurrency },
    stepFunctionsOpenExecutions: { quota: await quota("states", /open executions/i), needed: 3 * plan.glueMaxConcurrentRuns }
  };
}
export {
  VPC_PRINCIPAL_SERVICES,
  describeAccount,
  describeNetwork,
  planFromStack,
  planFromTemplate
};
