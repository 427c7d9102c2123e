import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { basename, join } from 'node:path';
import type { Json, PhysicalOverride, ResolvedTemplate } from './template';
import { refOf } from './iam-platform';
import { logicalIdOfGetAtt, ResolvedTemplate as Resolved, readPackagedTemplate } from './template';

/** The stage the local stack runs: its packaged template is what `npm start` resolves and runs. */
export const LOCAL_STAGE = 'dev';
/** A local account and the packaged region: the ARNs the local stack uses are the deployed stage's, in this account. */
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

export interface LambdaFunction {
  logicalId: string;
  name: string;
  /** The zip CloudFormation deploys, as `sls package` wrote it. */
  zip: string;
  /** Module path inside the zip and the export, from `Handler` (`functions/x/handler.handler`). */
  handlerModule: string;
  handlerExport: string;
  environment: Record<string, string>;
  /** The logical id of the function's IAM role: the principal of its AWS calls. */
  role: string;
  timeoutSeconds: number;
  memoryMb: number;
}

export interface GlueJob {
  logicalId: string;
  name: string;
  role: string;
  scriptLocation: string;
  defaultArguments: Record<string, string>;
  /** The arguments no run's own replace (the load job's database and TLS settings). */
  nonOverridableArguments: Record<string, string>;
  /** What GetJobRun reports of the job's capacity. */
  capacity: { GlueVersion: string; WorkerType: string; NumberOfWorkers: number };
  /** ExecutionProperty.MaxConcurrentRuns (Glue's default: 1). */
  maxConcurrentRuns: number;
  timeoutMinutes: number;
  /** The log group GetJobRun names when the job's security configuration encrypts its logs. */
  logGroupName?: string;
}

/** An EventBridge Scheduler schedule that invokes a function of the template at a fixed rate. */
export interface Schedule {
  logicalId: string;
  functionLogicalId: string;
  /** The function's ARN and the logical id of the role the schedule invokes it with. */
  targetArn: string;
  role: string;
  everyMs: number;
  /** The target's Input, with EventBridge Scheduler's context attributes (<aws.scheduler.scheduled-time>) in it. */
  input: string;
}

/** An event source mapping: a function that reads a queue of the template. */
export interface QueueMapping {
  logicalId: string;
  queueUrl: string;
  functionLogicalId: string;
  batchSize: number;
  maximumConcurrency: number;
  reportsItemFailures: boolean;
}

/** An EventBridge rule of the default bus that invokes functions of the template. */
export interface EventRule {
  logicalId: string;
  pattern: Record<string, Json>;
  functionLogicalIds: string[];
}

/** How API Gateway authorizes a route: not at all, with the JWT authorizer's issuer, audience and the route's scopes
 *  (a token needs one of them), or with SigV4 (AWS_IAM). */
export type RouteAuthorization =
  | { type: 'NONE' }
  | { type: 'JWT'; issuer: string; audience: string[]; scopes: string[] }
  | { type: 'AWS_IAM' };

export interface Route {
  routeKey: string;
  functionLogicalId: string;
  authorization: RouteAuthorization;
}

/** An OAuth app client of the template's user pool: the client-credentials grant for the scopes it is allowed. */
export interface AppClient {
  logicalId: string;
  clientId: string;
  name: string;
  userPoolId: string;
  scopes: string[];
}

/** Everything the local stack takes from the packaged template of a stage. */
export class Deployment {
  constructor(
    readonly template: ResolvedTemplate,
    readonly packageDir: string,
  ) {}

  static load(packageDir: string, overrides: Record<string, PhysicalOverride> = {}): Deployment {
    const template = readPackagedTemplate(packageDir);
    const stage = basename(packageDir);
    const resolved = new Resolved(template, {
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      stackName: `landing-etl-${stage}`,
      overrides,
    });
    return new Deployment(resolved, packageDir);
  }

  /** The same template with other physical values (e.g. once the local secrets exist and have ARNs). */
  withOverrides(overrides: Record<string, PhysicalOverride>): Deployment {
    const options = this.template.options;
    return new Deployment(new Resolved(this.template.template, { ...options, overrides: { ...options.overrides, ...overrides } }), this.packageDir);
  }

  get names() {
    const t = this.template;
    return {
      landingBucket: t.ref('LandingBucket'),
      dataBucket: t.ref('DataBucket'),
      deploymentBucket: t.ref('ServerlessDeploymentBucket'),
      runLogTable: t.ref('RunLogTable'),
      topicArn: t.ref('AlertsTopic'),
      stateMachineArn: t.ref('IngestionStateMachine'),
      privacyKeySecret: t.property<string>('PrivacyKeySecret', 'Name'),
      /** The secret of a cluster the stack creates (createDatabase=true); none when the stage names its own. */
      databaseSecret: t.template.Resources.DatabaseSecret ? t.property<string>('DatabaseSecret', 'Name') : undefined,
      /** Its read-only role's secret, the query function's, and the role's name in it. */
      databaseReaderSecret: t.template.Resources.DatabaseReaderSecret ? t.property<string>('DatabaseReaderSecret', 'Name') : undefined,
      databaseReaderUsername: t.template.Resources.DatabaseReaderSecret
        ? (JSON.parse(t.property<string>('DatabaseReaderSecret', 'GenerateSecretString', 'SecretStringTemplate')) as { username: string }).username
        : undefined,
    };
  }

  functions(): LambdaFunction[] {
    const t = this.template;
    return t.ofType('AWS::Lambda::Function').map((logicalId) => {
      const handler = t.property<string>(logicalId, 'Handler');
      const dot = handler.lastIndexOf('.');
      const role = logicalIdOfGetAtt(t.resource(logicalId).Properties?.Role);
      if (!role) throw new Error(`${logicalId}: its Role is not a Fn::GetAtt of a role in the template`);
      return {
        logicalId,
        name: t.property<string>(logicalId, 'FunctionName'),
        zip: join(this.packageDir, basename(t.property<string>(logicalId, 'Code', 'S3Key'))),
        handlerModule: `${handler.slice(0, dot)}.mjs`,
        handlerExport: handler.slice(dot + 1),
        environment: stringValues(t.property<Record<string, Json> | null>(logicalId, 'Environment', 'Variables') ?? {}),
        role,
        timeoutSeconds: t.property<number>(logicalId, 'Timeout'),
        memoryMb: t.property<number>(logicalId, 'MemorySize'),
      };
    });
  }

  /** HTTP API routes, the function each integration invokes and how each is authorized. */
  routes(): Route[] {
    const t = this.template;
    return t.ofType('AWS::ApiGatewayV2::Route').map((id) => {
      const target = t.property<string>(id, 'Target'); // integrations/<integration logical id's ref>
      const integration = t
        .ofType('AWS::ApiGatewayV2::Integration')
        .find((i) => target === `integrations/${t.ref(i)}`);
      const fn = integration && logicalIdOfGetAtt(t.resource(integration).Properties?.IntegrationUri);
      if (!fn) throw new Error(`route ${id}: its integration does not invoke a function of the template`);
      return { routeKey: t.property<string>(id, 'RouteKey'), functionLogicalId: fn, authorization: this.authorization(id) };
    });
  }

  private authorization(routeId: string): RouteAuthorization {
    const t = this.template;
    const type = t.property<string | null>(routeId, 'AuthorizationType') ?? 'NONE';
    if (type === 'NONE' || type === 'AWS_IAM') return { type };
    if (type !== 'JWT') throw new Error(`route ${routeId}: the local stack authorizes NONE, JWT and AWS_IAM routes, not ${type}`);
    const authorizer = (t.resource(routeId).Properties?.AuthorizerId as { Ref?: string } | undefined)?.Ref;
    if (!authorizer) throw new Error(`route ${routeId}: its AuthorizerId is not a Ref to an authorizer of the template`);
    const jwt = t.property<{ Issuer: string; Audience: string[] }>(authorizer, 'JwtConfiguration');
    return { type, issuer: jwt.Issuer, audience: jwt.Audience, scopes: t.property<string[] | null>(routeId, 'AuthorizationScopes') ?? [] };
  }

  /** The app clients of the template's Cognito user pools. */
  appClients(): AppClient[] {
    const t = this.template;
    return t.ofType('AWS::Cognito::UserPoolClient').map((logicalId) => ({
      logicalId,
      clientId: t.ref(logicalId),
      name: t.property<string>(logicalId, 'ClientName'),
      userPoolId: t.property<string>(logicalId, 'UserPoolId'),
      scopes: t.property<string[] | null>(logicalId, 'AllowedOAuthScopes') ?? [],
    }));
  }

  /** The stack's outputs, as DescribeStacks would give them. */
  outputs(): Record<string, string> {
    const t = this.template;
    return Object.fromEntries(Object.entries(t.template.Outputs ?? {}).map(([key, o]) => [key, String(t.evaluate(o.Value))]));
  }

  /** The state machine definition with its DefinitionSubstitutions applied, as Step Functions runs it. */
  stateMachineDefinition(): string {
    const t = this.template;
    const substitutions = stringValues(t.property<Record<string, Json>>('IngestionStateMachine', 'DefinitionSubstitutions'));
    return t.property<string>('IngestionStateMachine', 'DefinitionString').replace(/\$\{(\w+)\}/g, (whole, key: string) => {
      if (!(key in substitutions)) throw new Error(`state machine: DefinitionSubstitutions has no ${whole}`);
      return substitutions[key]!;
    });
  }

  glueJobs(): GlueJob[] {
    const t = this.template;
    return t.ofType('AWS::Glue::Job').map((logicalId) => {
      const role = logicalIdOfGetAtt(t.resource(logicalId).Properties?.Role);
      if (!role) throw new Error(`${logicalId}: its Role is not a Fn::GetAtt of a role in the template`);
      return {
        logicalId,
        name: t.ref(logicalId),
        role,
        scriptLocation: t.property<string>(logicalId, 'Command', 'ScriptLocation'),
        defaultArguments: stringValues(t.property<Record<string, Json>>(logicalId, 'DefaultArguments')),
        nonOverridableArguments: stringValues(t.property<Record<string, Json> | null>(logicalId, 'NonOverridableArguments') ?? {}),
        capacity: {
          GlueVersion: t.property<string>(logicalId, 'GlueVersion'),
          WorkerType: t.property<string>(logicalId, 'WorkerType'),
          NumberOfWorkers: Number(t.property<number>(logicalId, 'NumberOfWorkers')),
        },
        maxConcurrentRuns: Number(t.property<Record<string, Json>>(logicalId, 'ExecutionProperty')?.MaxConcurrentRuns ?? 1),
        timeoutMinutes: Number(t.property<number>(logicalId, 'Timeout')),
        ...this.encryptedLogGroup(logicalId, role),
      };
    });
  }

  /** A job whose security configuration encrypts CloudWatch logs writes to its own group, which GetJobRun names:
   *  /aws-glue/jobs-<role name>-<configuration name>/ (AWS Glue API reference, "JobRun": LogGroupName). */
  private encryptedLogGroup(logicalId: string, role: string): { logGroupName?: string } {
    const t = this.template;
    const configuration = refOf(t.resource(logicalId).Properties?.SecurityConfiguration);
    if (!configuration) return {};
    const mode = t.property<string | null>(configuration, 'EncryptionConfiguration', 'CloudWatchEncryption', 'CloudWatchEncryptionMode');
    if (!mode || mode === 'DISABLED') return {};
    return { logGroupName: `/aws-glue/jobs-${t.ref(role)}-${t.property<string>(configuration, 'Name')}/` };
  }

  /** The template's schedules (AWS::Scheduler::Schedule) of rate(N minutes|hours) that invoke its functions. */
  schedules(): Schedule[] {
    const t = this.template;
    const units: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000 };
    return t.ofType('AWS::Scheduler::Schedule').map((logicalId) => {
      const expression = t.property<string>(logicalId, 'ScheduleExpression');
      const rate = /^rate\((\d+) (\w+)\)$/.exec(expression);
      if (!rate || !units[rate[2]!]) throw new Error(`${logicalId}: the local stack runs rate(N minutes|hours) schedules, not ${expression}`);
      const target = (t.resource(logicalId).Properties?.Target ?? {}) as Record<string, Json>;
      const functionLogicalId = logicalIdOfGetAtt(target.Arn);
      const role = logicalIdOfGetAtt(target.RoleArn);
      if (!functionLogicalId || !role) throw new Error(`${logicalId}: its target and role are not a Fn::GetAtt of a function and a role in the template`);
      return {
        logicalId,
        functionLogicalId,
        targetArn: t.property<string>(logicalId, 'Target', 'Arn'),
        role,
        everyMs: Number(rate[1]) * units[rate[2]!]!,
        input: t.property<string>(logicalId, 'Target', 'Input'),
      };
    });
  }

  /** The template's EventBridge rules (AWS::Events::Rule) with an event pattern, and the functions they target. */
  eventRules(): EventRule[] {
    const t = this.template;
    return t.ofType('AWS::Events::Rule').flatMap((logicalId) => {
      const pattern = t.property<Json>(logicalId, 'EventPattern');
      if (!pattern) return [];
      const targets = (t.resource(logicalId).Properties?.Targets ?? []) as Array<Record<string, Json>>;
      return [
        {
          logicalId,
          pattern: pattern as Record<string, Json>,
          functionLogicalIds: targets.map((target) => {
            const fn = logicalIdOfGetAtt(target.Arn);
            if (!fn) throw new Error(`${logicalId}: a target is not a Fn::GetAtt of a function in the template`);
            return fn;
          }),
        },
      ];
    });
  }

  /** The DynamoDB tables of the template as CreateTable input (the local server keeps no encryption or PITR). */
  tables(): CreateTableCommandInput[] {
    const t = this.template;
    return t.ofType('AWS::DynamoDB::Table').map((id) => ({
      TableName: t.ref(id),
      BillingMode: t.property(id, 'BillingMode'),
      AttributeDefinitions: t.property(id, 'AttributeDefinitions'),
      KeySchema: t.property(id, 'KeySchema'),
      GlobalSecondaryIndexes: t.property(id, 'GlobalSecondaryIndexes') ?? undefined,
    }) as CreateTableCommandInput);
  }

  /** The queues the landing bucket notifies of a new object, each with the key filter of its notification. */
  landingNotifications(): Array<{ queueLogicalId: string; matches(key: string): boolean }> {
    type Rule = { Name: string; Value: string };
    const raw = this.template.resource('LandingBucket').Properties?.NotificationConfiguration as
      | { QueueConfigurations?: Array<{ Queue: Json; Filter?: { S3Key?: { Rules?: Rule[] } } }> }
      | undefined;
    return (raw?.QueueConfigurations ?? []).map((c) => {
      const queueLogicalId = logicalIdOfGetAtt(c.Queue);
      if (!queueLogicalId) throw new Error('LandingBucket: a notification does not name a queue of the template');
      const rules = c.Filter?.S3Key?.Rules ?? [];
      return {
        queueLogicalId,
        matches: (key: string) =>
          rules.every((r) => (r.Name.toLowerCase() === 'prefix' ? key.startsWith(r.Value) : key.endsWith(r.Value))),
      };
    });
  }

  /** The template's SQS queues, with the attributes CreateQueue takes (the redrive policy's target resolved). */
  queues(): Array<{ logicalId: string; name: string; url: string; attributes: Record<string, string> }> {
    const t = this.template;
    return t.ofType('AWS::SQS::Queue').map((logicalId) => {
      const redrive = t.property<Record<string, Json> | null>(logicalId, 'RedrivePolicy');
      const attributes: Record<string, string> = {
        ...Object.fromEntries(
          ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds']
            .map((k) => [k, t.property<Json>(logicalId, k)] as const)
            .filter(([, v]) => v !== null)
            .map(([k, v]) => [k, String(v)]),
        ),
        ...(redrive ? { RedrivePolicy: JSON.stringify(redrive) } : {}),
      };
      return { logicalId, name: t.getAtt(logicalId, 'QueueName'), url: t.ref(logicalId), attributes };
    });
  }

  /** The template's event source mappings from SQS queues to its functions. */
  queueMappings(): QueueMapping[] {
    const t = this.template;
    return t.ofType('AWS::Lambda::EventSourceMapping').map((logicalId) => {
      const props = t.resource(logicalId).Properties ?? {};
      const queueLogicalId = logicalIdOfGetAtt(props.EventSourceArn);
      const functionLogicalId = logicalIdOfGetAtt(props.FunctionName);
      if (!queueLogicalId || !functionLogicalId) throw new Error(`${logicalId}: its source and function are not a Fn::GetAtt of a queue and a function in the template`);
      return {
        logicalId,
        queueUrl: t.ref(queueLogicalId),
        functionLogicalId,
        batchSize: Number(t.property<number>(logicalId, 'BatchSize') ?? 10),
        // Without ScalingConfig, Lambda scales its pollers up to 1,000; 2 is its minimum, and what the template sets.
        maximumConcurrency: Number(t.property<number>(logicalId, 'ScalingConfig', 'MaximumConcurrency') ?? 2),
        reportsItemFailures: (t.property<string[] | null>(logicalId, 'FunctionResponseTypes') ?? []).includes('ReportBatchItemFailures'),
      };
    });
  }

  /** The folder the Glue artifacts of this package were built in (the template names them by content hash). */
  glueArtifactsDir(repoRoot: string): string {
    const location = this.glueJobs()[0]!.scriptLocation;
    const hash = /\/glue\/([0-9a-f]+)\//.exec(location)?.[1];
    if (!hash) throw new Error(`cannot find the Glue artifacts' hash in ${location}`);
    return join(repoRoot, '.build', 'glue-artifacts', hash);
  }
}

function stringValues(map: Record<string, Json>): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}
