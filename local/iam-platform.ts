import { logicalIdOfGetAtt, type Json, type ResolvedTemplate } from './template';

/** What the platform does with a role that no call of the code shows, so the local stack cannot record it: Lambda
 *  and Glue writing logs, tracing, VPC network interfaces, Step Functions log delivery, Lambda's on-failure
 *  destination, KMS for encrypted environment variables and Glue's security configuration. Derived from the
 *  template, each with its reason and the documentation that says so; the IAM check (local/iam-check.ts) files the
 *  grants these explain under "needed by the platform" instead of "never used". */

/** Documentation behind each implied call and platform need (cited in the report and in docs/iam.md). */
export const DOCS = {
  s3Kms: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html',
  s3Multipart: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions',
  secretsKms: 'https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html',
  snsKms: 'https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html',
  sqsKms: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html',
  lambdaLogs: 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html',
  lambdaXray: 'https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html',
  lambdaVpc: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html',
  lambdaEnvKms: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html',
  lambdaDestinations: 'https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html',
  glueServiceRole: 'https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSGlueServiceRole.html',
  glueEncryption: 'https://docs.aws.amazon.com/glue/latest/dg/encryption-at-rest.html',
  glueArguments: 'https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html',
  sfnLogs: 'https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html',
  sfnXray: 'https://docs.aws.amazon.com/step-functions/latest/dg/concepts-xray-tracing.html',
} as const;

/** A permission the platform uses with a role without the code making a call: not observable locally. */
export interface PlatformNeed {
  role: string;
  actions: string[];
  /** `*`: any resource the grant names. */
  resources: string[];
  reason: string;
  doc: string;
}

/** What the platform does with each role that no call of the code shows, derived from the template. */
export function platformNeeds(t: ResolvedTemplate, encryptedBy: Map<string, string>, account: string, region: string): PlatformNeed[] {
  const needs: PlatformNeed[] = [];
  const need = (role: string | undefined, actions: string[], resources: string[], reason: string, doc: string) => {
    if (role) needs.push({ role, actions, resources, reason, doc });
  };
  const logGroup = (name: string) => `arn:aws:logs:${region}:${account}:log-group:${name}`;
  const kmsOfTarget = (role: string | undefined, target: string, what: string, doc: string) => {
    const key = encryptedBy.get(target);
    if (key) need(role, ['kms:GenerateDataKey', 'kms:Decrypt'], [key], `${what} is encrypted with this key`, doc);
  };

  for (const fn of t.ofType('AWS::Lambda::Function')) {
    const role = logicalIdOfGetAtt(rawProperty(t, fn, ['Role']) as Json);
    const name = fn; // reasons name logical ids, the same in every stage
    need(role, ['logs:CreateLogStream', 'logs:PutLogEvents'], [`${logGroup(`/aws/lambda/${t.property<string>(fn, 'FunctionName')}`)}:*`],
      `Lambda writes ${name}'s logs with its execution role`, DOCS.lambdaLogs);
    if (t.property<string | null>(fn, 'TracingConfig', 'Mode') === 'Active') {
      need(role, ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['*'], `${name} has active tracing: Lambda sends its segments`, DOCS.lambdaXray);
    }
    if (rawProperty(t, fn, ['VpcConfig'])) {
      // AWSLambdaVPCAccessExecutionRole's actions: what Lambda does with the execution role to attach the function.
      need(role, ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'], ['*'], `${name} runs in the VPC: Lambda manages its network interfaces`, DOCS.lambdaVpc);
    }
    const key = tryEvaluate(t, rawProperty(t, fn, ['KmsKeyArn']));
    if (typeof key === 'string') {
      need(role, ['kms:Decrypt'], [key], `${name}'s environment variables are encrypted with this key: Lambda decrypts them with the execution role`, DOCS.lambdaEnvKms);
    }
  }
  for (const id of t.ofType('AWS::Lambda::EventInvokeConfig')) {
    const fn = refOf(rawProperty(t, id, ['FunctionName']) as Json);
    const role = fn ? logicalIdOfGetAtt(rawProperty(t, fn, ['Role']) as Json) : undefined;
    const target = tryEvaluate(t, rawProperty(t, id, ['DestinationConfig', 'OnFailure', 'Destination']));
    if (typeof target !== 'string') continue;
    if (target.startsWith('arn:aws:sqs:')) {
      need(role, ['sqs:SendMessage'], [target], `Lambda sends ${fn}'s failed events to its on-failure destination with the execution role`, DOCS.lambdaDestinations);
      kmsOfTarget(role, target, `the on-failure destination queue`, DOCS.sqsKms);
    } else if (target.startsWith('arn:aws:sns:')) {
      need(role, ['sns:Publish'], [target], `Lambda publishes ${fn}'s failed events to its on-failure destination with the execution role`, DOCS.lambdaDestinations);
      kmsOfTarget(role, target, `the on-failure destination topic`, DOCS.snsKms);
    }
  }

  for (const job of t.ofType('AWS::Glue::Job')) {
    const role = logicalIdOfGetAtt(rawProperty(t, job, ['Role']) as Json);
    const name = job;
    const args = stringsOf(t, job, ['DefaultArguments']);
    need(role, ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], [`${logGroup('/aws-glue/')}*`],
      `Glue writes ${name}'s driver, executor and continuous logs under /aws-glue/ with the job role`, DOCS.glueServiceRole);
    // Glue fetches the job's script, --extra-py-files and --additional-python-modules from S3 with the job role.
    const artifacts = [tryEvaluate(t, rawProperty(t, job, ['Command', 'ScriptLocation'])), args['--extra-py-files'], args['--additional-python-modules']]
      .flatMap((v) => (typeof v === 'string' ? v.split(',') : []))
      .map(s3UriAsArn)
      .filter((v): v is string => v !== undefined);
    if (artifacts.length) need(role, ['s3:GetObject'], artifacts, `Glue loads ${name}'s script and Python modules from S3 with the job role`, DOCS.glueArguments);
    const tempDir = args['--TempDir'] ? s3UriAsArn(args['--TempDir']) : undefined;
    if (tempDir) {
      need(role, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [`${tempDir}/*`], `${name}'s temporary directory (--TempDir): Glue writes and removes temporary files there`, DOCS.glueArguments);
    }
    if (args['--enable-metrics'] !== undefined || args['--enable-observability-metrics'] !== undefined) {
      need(role, ['cloudwatch:PutMetricData'], ['*'], `${name} publishes job metrics to the Glue namespace`, DOCS.glueServiceRole);
    }
    const connections = (tryEvaluate(t, rawProperty(t, job, ['Connections', 'Connections'])) ?? []) as string[];
    if (connections.length) {
      need(role, ['glue:GetConnection'], [`arn:aws:glue:${region}:${account}:catalog`, ...connections.map((c) => `arn:aws:glue:${region}:${account}:connection/${c}`)],
        `Glue reads ${name}'s network connection when a run starts`, DOCS.glueServiceRole);
      // AWSGlueServiceRole's EC2 actions (its CreateTags/DeleteTags tag the interfaces Glue creates).
      need(role, ['ec2:DescribeVpcEndpoints', 'ec2:DescribeRouteTables', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcAttribute', 'ec2:CreateTags',
        'ec2:DeleteTags'], ['*'], `${name} runs in the VPC through its connection: Glue creates, tags and deletes its network interfaces`, DOCS.glueServiceRole);
    }
    const securityConfiguration = tryEvaluate(t, rawProperty(t, job, ['SecurityConfiguration']));
    const sc = t.ofType('AWS::Glue::SecurityConfiguration').find((id) => t.ref(id) === securityConfiguration);
    if (sc) {
      const enc = t.property<{
        S3Encryptions?: Array<{ S3EncryptionMode?: string; KmsKeyArn?: string }>;
        CloudWatchEncryption?: { CloudWatchEncryptionMode?: string; KmsKeyArn?: string };
        JobBookmarksEncryption?: { JobBookmarksEncryptionMode?: string; KmsKeyArn?: string };
      }>(sc, 'EncryptionConfiguration');
      const s3 = enc.S3Encryptions?.find((e) => e.S3EncryptionMode === 'SSE-KMS');
      if (s3?.KmsKeyArn) {
        need(role, ['kms:GenerateDataKey', 'kms:Decrypt'], [s3.KmsKeyArn], `${name}'s security configuration writes its S3 output (temporary files, Spark event logs) with SSE-KMS`, DOCS.glueEncryption);
      }
      if (enc.CloudWatchEncryption?.CloudWatchEncryptionMode === 'SSE-KMS') {
        need(role, ['logs:AssociateKmsKey'], [`${logGroup('/aws-glue/')}*`], `${name}'s security configuration encrypts its log groups with a KMS key`, DOCS.glueEncryption);
      }
      const bookmarks = enc.JobBookmarksEncryption;
      if (bookmarks?.JobBookmarksEncryptionMode === 'CSE-KMS' && bookmarks.KmsKeyArn) {
        need(role, ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], [bookmarks.KmsKeyArn], `${name}'s job bookmarks are encrypted client-side (CSE-KMS) with the job role`, DOCS.glueEncryption);
      }
    }
  }

  for (const sm of t.ofType('AWS::StepFunctions::StateMachine')) {
    const role = logicalIdOfGetAtt(rawProperty(t, sm, ['RoleArn']) as Json);
    const name = sm;
    if (asArray(rawProperty(t, sm, ['LoggingConfiguration', 'Destinations'])).length) {
      need(role, ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries',
        'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'], ['*'],
        `${name} logs to CloudWatch Logs: Step Functions sets up the log delivery with the state machine's role`, DOCS.sfnLogs);
    }
    if (t.property<boolean | null>(sm, 'TracingConfiguration', 'Enabled')) {
      need(role, ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'], ['*'],
        `${name} has X-Ray tracing: Step Functions sends its traces with the state machine's role`, DOCS.sfnXray);
    }
  }
  return needs;
}

// ---------------------------------------------------------------------------------------------------------------
// Template helpers shared with the IAM check

export function asArray<T>(value: T | T[] | undefined | null): T[] {
  return value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
}

export function refOf(node: Json | undefined): string | undefined {
  return node && typeof node === 'object' && !Array.isArray(node) && typeof node.Ref === 'string' ? node.Ref : undefined;
}

export function rawProperty(t: ResolvedTemplate, id: string, path: string[]): Json | undefined {
  let value: Json | undefined = t.resource(id).Properties ?? {};
  for (const key of path) value = value && typeof value === 'object' && !Array.isArray(value) ? value[key] : undefined;
  return value;
}

/** The string values of a map property (environment variables, job arguments), each evaluated on its own: one the
 *  resolver has no local value for (an RDS endpoint) is left out, not the whole map. */
export function stringsOf(t: ResolvedTemplate, id: string, path: string[]): Record<string, string> {
  const raw = rawProperty(t, id, path);
  const out: Record<string, string> = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const [key, value] of Object.entries(raw)) {
    const resolved = tryEvaluate(t, value);
    if (typeof resolved === 'string') out[key] = resolved;
  }
  return out;
}

/** Evaluates a value, or undefined where it names something the resolver has no local value for (an RDS endpoint). */
export function tryEvaluate(t: ResolvedTemplate, value: Json | undefined): Json | undefined {
  if (value === undefined) return undefined;
  try {
    return t.evaluate(value);
  } catch {
    return undefined;
  }
}

export function physicalValues(t: ResolvedTemplate, id: string): Record<string, string> | undefined {
  const r = t.template.Resources[id];
  if (!r || (r.Condition && !t.condition(r.Condition))) return undefined;
  try {
    return t.physicalValues(id);
  } catch {
    return undefined;
  }
}

export function s3UriAsArn(value: string): string | undefined {
  const m = /^s3:\/\/(.+)$/.exec(value);
  return m ? `arn:aws:s3:::${m[1]!.replace(/\/$/, '')}` : undefined;
}
