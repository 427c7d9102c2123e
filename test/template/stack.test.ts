import { existsSync, readFileSync } from 'node:fs';
import { executionTimeoutSeconds, ingestionDefinition } from '../../statemachine/definition.js';
import { parsedArgs } from './glue-args';
import { at, list, loadTemplate, record, references, resource, resourcesOfType, STAGES, statements, text, type Template } from './template';

const GLUE_TIMEOUT_MINUTES = 60; // serverless.yml's params.default.glueTimeoutMinutes, which both stages keep
const asl = JSON.stringify(ingestionDefinition({ timeoutSeconds: executionTimeoutSeconds(GLUE_TIMEOUT_MINUTES) }), null, 2);
const placeholders = [...new Set([...asl.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))];

// Actions that accept no resource narrower than `*` (IAM service authorization reference).
const UNSCOPABLE =
  /^(xray:|ec2:Describe|cloudwatch:PutMetricData$|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$)/;

const props = (t: Template, id: string, type: string) => resource(t, id, type).Properties;

describe.each(STAGES)('the %s stack', (stage) => {
  const t = loadTemplate(stage);
  const name = (suffix: string) => `landing-etl-${stage}-${suffix}`;

  test('has a versioned, encrypted, private, TLS-only landing bucket', () => {
    const bucket = props(t, 'LandingBucket', 'AWS::S3::Bucket');
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(at(bucket, 'BucketEncryption.ServerSideEncryptionConfiguration.0.ServerSideEncryptionByDefault.SSEAlgorithm')).toBe('aws:kms');
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policy = props(t, 'LandingBucketPolicy', 'AWS::S3::BucketPolicy');
    expect(policy.Bucket).toEqual({ Ref: 'LandingBucket' });
    expect(at(policy, 'PolicyDocument.Statement')).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  test('queues every new object of the landing bucket for the executor, so what it cannot ingest is rejected aloud', () => {
    const bucket = props(t, 'LandingBucket', 'AWS::S3::Bucket');
    expect(list(at(bucket, 'NotificationConfiguration.QueueConfigurations'))).toEqual([{ Event: 's3:ObjectCreated:*', Queue: { 'Fn::GetAtt': ['LandingQueue', 'Arn'] } }]);
    // The queue admits S3's messages for the bucket the template creates, and no other; the bucket waits for it.
    const policy = list(at(props(t, 'LandingQueuePolicy', 'AWS::SQS::QueuePolicy'), 'PolicyDocument.Statement'))[0];
    expect(policy).toMatchObject({ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sqs:SendMessage' });
    expect(text(at(policy, 'Condition.ArnEquals.aws:SourceArn.Fn::Sub'))).toContain(text(at(bucket, 'BucketName.Fn::Sub')));
    expect(resource(t, 'LandingBucket', 'AWS::S3::Bucket').DependsOn).toEqual(['LandingQueuePolicy']);
    // A message that fails five times goes to the dead-letter queue; the executor reads the queue two at a time.
    expect(at(props(t, 'LandingQueue', 'AWS::SQS::Queue'), 'RedrivePolicy')).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['LandingDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 });
    const [[, mapping]] = resourcesOfType(t, 'AWS::Lambda::EventSourceMapping') as unknown as [[string, { Properties: unknown }]];
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['LandingQueue', 'Arn'] },
      FunctionName: { 'Fn::GetAtt': ['ExecutorLambdaFunction', 'Arn'] },
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // Lambda asks for a visibility timeout of at least six times the function's timeout.
    expect(Number(at(props(t, 'LandingQueue', 'AWS::SQS::Queue'), 'VisibilityTimeout'))).toBeGreaterThanOrEqual(6 * Number(props(t, 'ExecutorLambdaFunction', 'AWS::Lambda::Function').Timeout));
  });

  test('expires staging data after the retention parameter', () => {
    const rule = at(props(t, 'DataBucket', 'AWS::S3::Bucket'), 'LifecycleConfiguration.Rules.0');
    expect(rule).toMatchObject({ Status: 'Enabled', ExpirationInDays: stage === 'dev' ? 14 : 90 });
  });

  test('keeps the run log on demand, recoverable, encrypted, with the byDataset and byObject indexes', () => {
    const table = props(t, 'RunLogTable', 'AWS::DynamoDB::Table');
    expect(table).toMatchObject({
      TableName: name('runlog'),
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
    const indexes = list(table.GlobalSecondaryIndexes).map((i) => [
      at(i, 'IndexName'),
      list(at(i, 'KeySchema')).map((k) => at(k, 'AttributeName')),
    ]);
    expect(indexes).toEqual([
      ['byDataset', ['datasetKey', 'recentKey']],
      ['byObject', ['objectKey', 'recentKey']],
    ]);
    expect(new Set(list(table.AttributeDefinitions).map((a) => at(a, 'AttributeType')))).toEqual(new Set(['S']));
  });

  test('encrypts the alerts topic and subscribes the alert e-mail only when one is given', () => {
    expect(props(t, 'AlertsTopic', 'AWS::SNS::Topic')).toMatchObject({ TopicName: name('alerts'), KmsMasterKeyId: { Ref: 'Key' } });
    expect(t.Resources.AlertsEmailSubscription?.Condition).toBe('HasAlertEmail');
  });

  test('runs the state machine from statemachine/ with a substitution for every placeholder, each resolving in the template', () => {
    const machine = props(t, 'IngestionStateMachine', 'AWS::StepFunctions::StateMachine');
    expect(machine.StateMachineName).toBe(name('ingestion'));
    // Verbatim: parsed and re-serialised, `"ResultPath": null` would be lost.
    expect(machine.DefinitionString).toBe(asl);
    expect(placeholders.length).toBeGreaterThan(0);
    const substitutions = record(machine.DefinitionSubstitutions);
    expect(Object.keys(substitutions).sort()).toEqual([...placeholders].sort());
    for (const [key, value] of Object.entries(substitutions)) {
      const unresolved = references(value).filter((id) => !id.startsWith('AWS::') && !(id in t.Resources) && !(id in t.Parameters));
      expect({ key, resolves: references(value).length > 0, unresolved }).toEqual({ key, resolves: true, unresolved: [] });
    }
    expect(at(machine, 'LoggingConfiguration.Destinations.0.CloudWatchLogsLogGroup.LogGroupArn')).toEqual({
      'Fn::GetAtt': ['IngestionStateMachineLogGroup', 'Arn'],
    });
  });

  test('defines three Glue 5.1 jobs with the security configuration, sized by parameters, the load in the VPC', () => {
    for (const [id, suffix] of [
      ['TransformJob', 'transform'],
      ['TestJob', 'test'],
      ['LoadJob', 'load'],
    ] as const) {
      expect(props(t, id, 'AWS::Glue::Job')).toMatchObject({
        Name: name(suffix),
        GlueVersion: '5.1',
        WorkerType: 'G.1X',
        // The load's Spark workers idle (its driver COPYs the rows): the smallest Spark job everywhere.
        NumberOfWorkers: stage === 'dev' || id === 'LoadJob' ? 2 : 4,
        Timeout: 60,
        ExecutionProperty: { MaxConcurrentRuns: 5 },
        JobRunQueuingEnabled: true,
        SecurityConfiguration: { Ref: 'GlueSecurityConfiguration' },
      });
    }
    expect(props(t, 'LoadJob', 'AWS::Glue::Job').Connections).toEqual({ Connections: [{ Ref: 'GlueConnection' }] });
    expect(at(props(t, 'LoadJob', 'AWS::Glue::Job'), 'DefaultArguments.--load_connections')).toBe('1');
    expect(at(props(t, 'GlueConnection', 'AWS::Glue::Connection'), 'ConnectionInput.ConnectionType')).toBe('NETWORK');
    expect(props(t, 'GlueSecurityConfiguration', 'AWS::Glue::SecurityConfiguration').EncryptionConfiguration).toMatchObject({
      S3Encryptions: [{ S3EncryptionMode: 'SSE-KMS' }],
      CloudWatchEncryption: { CloudWatchEncryptionMode: 'SSE-KMS' },
      JobBookmarksEncryption: { JobBookmarksEncryptionMode: 'CSE-KMS' },
    });
  });

  test('passes every argument each Glue entry script parses, from the state machine or the job defaults', () => {
    const machine = props(t, 'IngestionStateMachine', 'AWS::StepFunctions::StateMachine');
    const states = Object.values(record(at(JSON.parse(asl), 'States')));
    const jobPlaceholders = Object.entries(record(machine.DefinitionSubstitutions)).filter(([k]) => k.endsWith('JobName'));
    expect(jobPlaceholders).toHaveLength(3);
    for (const [placeholder, value] of jobPlaceholders) {
      const job = props(t, text(at(value, 'Ref')), 'AWS::Glue::Job');
      const script = text(at(job, 'Command.ScriptLocation.Fn::Sub')).split('/').pop()!;
      const starts = states.filter(
        (s) => String(at(s, 'Resource')).endsWith('glue:startJobRun') && at(s, 'Parameters.JobName') === `\${${placeholder}}`,
      );
      expect(starts).toHaveLength(1);
      const supplied = new Set(
        [
          ...Object.keys(record(at(starts[0], 'Parameters.Arguments'))),
          ...Object.keys(record(job.DefaultArguments)),
          ...Object.keys(record(job.NonOverridableArguments ?? {})),
        ].map((a) =>
          a.replace(/^--/, '').replace(/\.\$$/, ''),
        ),
      );
      const missing = parsedArgs(script).filter((a) => !supplied.has(a));
      expect({ script, missing }).toEqual({ script, missing: [] });
    }
  });

  test('gives the load job its database, credentials, TLS and migrations as arguments no job run can replace', () => {
    const load = props(t, 'LoadJob', 'AWS::Glue::Job');
    const fixed = ['--db_secret_arn', '--db_reader_secret_arn', '--db_host', '--db_sslmode', '--db_sslrootcert', '--migrations_uri'];
    expect(Object.keys(record(load.NonOverridableArguments)).sort()).toEqual([...fixed].sort());
    expect(at(load, 'NonOverridableArguments.--db_sslmode')).toBe('verify-full');
    for (const id of ['TransformJob', 'TestJob', 'LoadJob']) {
      const overridable = Object.keys(record(props(t, id, 'AWS::Glue::Job').DefaultArguments));
      expect({ id, overridable: overridable.filter((a) => a.startsWith('--db_') || fixed.includes(a)) }).toEqual({ id, overridable: [] });
    }
    // The reader's secret reaches the load only where the stack created the database and so keeps its role.
    expect(at(load, 'NonOverridableArguments.--db_reader_secret_arn')).toEqual(stage === 'dev' ? { Ref: 'DatabaseReaderSecret' } : '');
  });

  test('has pip install the load job\'s wheels with no package index, and gives every job the stack\'s region', () => {
    const load = props(t, 'LoadJob', 'AWS::Glue::Job');
    // The jobs' subnets may have no NAT: pip must find everything among the shipped wheels, never reach PyPI.
    expect(text(at(load, 'DefaultArguments.--python-modules-installer-option')).split(/\s+/)).toContain('--no-index');
    for (const module of text(at(load, 'DefaultArguments.--additional-python-modules.Fn::Sub')).split(',')) {
      expect(module).toMatch(/^s3:\/\/\$\{ServerlessDeploymentBucket\}\/glue\/[0-9a-f]{16}\/wheels\/[^/]+\.whl$/);
    }
    for (const id of ['TransformJob', 'TestJob', 'LoadJob']) {
      expect(at(props(t, id, 'AWS::Glue::Job'), 'DefaultArguments.--aws_region')).toEqual({ Ref: 'AWS::Region' });
    }
  });

  test('references the Glue scripts, package, contracts, migrations and wheels under one content hash', () => {
    const load = props(t, 'LoadJob', 'AWS::Glue::Job');
    const uris = [
      at(load, 'Command.ScriptLocation.Fn::Sub'),
      at(load, 'DefaultArguments.--extra-py-files.Fn::Sub'),
      at(load, 'NonOverridableArguments.--migrations_uri.Fn::Sub'),
      ...text(at(load, 'DefaultArguments.--additional-python-modules.Fn::Sub')).split(','),
      at(props(t, 'IngestionStateMachine', 'AWS::StepFunctions::StateMachine'), 'DefinitionSubstitutions.DatasetsUri.Fn::Sub'),
    ].map(text);
    const hashes = new Set(uris.map((u) => /^s3:\/\/\$\{ServerlessDeploymentBucket\}\/glue\/([0-9a-f]{16})\//.exec(u)?.[1]));
    expect(hashes.size).toBe(1);
    const [hash] = [...hashes];
    expect(hash).toBeDefined();
    for (const uri of uris) {
      const file = uri.split(`/glue/${hash}/`)[1]!;
      expect({ file, built: existsSync(`.build/glue-artifacts/${hash}/${file}`) }).toEqual({ file, built: true });
    }
    expect(uris.filter((u) => /\/wheels\/psycopg_binary-[^/]+-cp311-cp311-manylinux[^/]*x86_64\.whl$/.test(u))).toHaveLength(1);
  });

  test('deploys both Lambdas on nodejs22.x arm64; only the query Lambda, which reaches the database, is in the VPC', () => {
    const executor = props(t, 'ExecutorLambdaFunction', 'AWS::Lambda::Function');
    const query = props(t, 'QueryLambdaFunction', 'AWS::Lambda::Function');
    for (const fn of [executor, query]) expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    expect(query.VpcConfig).toBeDefined();
    expect(executor.VpcConfig).toBeUndefined();
    expect(Object.keys(record(at(executor, 'Environment.Variables'))).sort()).toEqual([
      'ADMISSION_RETRY_SECONDS',
      'ADMISSION_SLOTS',
      'DATA_BUCKET',
      'LANDING_QUEUE_URL',
      'QUALITY_MODE',
      'RUN_LOG_TABLE',
      'STATE_MACHINE_ARN',
      'TOPIC_ARN',
    ]);
  });

  test('reserves no Lambda concurrency by default, so a deploy fits an account with a small concurrency quota', () => {
    const functions = resourcesOfType(t, 'AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual([
      'ConsoleLambdaFunction',
      'ExecutorLambdaFunction',
      'FinishLambdaFunction',
      'FreshnessLambdaFunction',
      'IngestionsLambdaFunction',
      'QueryLambdaFunction',
      'StagecostLambdaFunction',
    ]);
    for (const [, fn] of functions) expect(fn.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  test('gives the query Lambda a secret ARN, never a password or connection string', () => {
    const env = Object.keys(record(at(props(t, 'QueryLambdaFunction', 'AWS::Lambda::Function'), 'Environment.Variables')));
    expect(env).toEqual(expect.arrayContaining(['DB_SECRET_ARN', 'DB_HOST', 'CORS_ORIGINS']));
    expect(env).not.toContain('DATABASE_URL');
    expect(JSON.stringify(t)).not.toMatch(/"(MasterUserPassword|Password)":"(?!\{\{resolve:secretsmanager)/);
  });

  test('throttles the HTTP API and writes its access logs', () => {
    const apiStage = props(t, 'HttpApiStage', 'AWS::ApiGatewayV2::Stage');
    expect(apiStage.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    expect(at(apiStage, 'AccessLogSettings.DestinationArn')).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    expect(props(t, 'HttpApiRouteGetGet', 'AWS::ApiGatewayV2::Route').RouteKey).toBe('GET /get');
  });

  test('allows the corsOrigins from browsers, with the Authorization header', () => {
    const cors = at(props(t, 'HttpApi', 'AWS::ApiGatewayV2::Api'), 'CorsConfiguration.Fn::If');
    expect(list(cors)[0]).toBe('HasCorsOrigins');
    expect(at(cors, '1.AllowOrigins')).toEqual({ 'Fn::Split': [',', { Ref: 'CorsOrigins' }] });
    expect(at(cors, '1.AllowHeaders')).toContain('authorization');
    expect(t.Parameters.CorsOrigins?.Default).toBe(stage === 'dev' ? '' : 'https://app.example.com');
  });

  test('alarms on failed executions, executor errors, queued executor failures and API 5xx, all to the topic', () => {
    const alarms = resourcesOfType(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: 'AlertsTopic' }]);
    const watched = alarms.flatMap((a) =>
      a.Metrics ? list(a.Metrics).map((m) => at(m, 'MetricStat.Metric.MetricName')).filter(Boolean) : [a.MetricName],
    );
    expect(watched).toEqual(expect.arrayContaining(['ExecutionsFailed', 'Errors', 'ApproximateNumberOfMessagesVisible', '5xx']));
  });

  test('grants no IAM action with a wildcard, and `*` resources only to actions that cannot name one', () => {
    const allows = statements(t).filter((s) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(20);
    const wildcards = allows.flatMap((s) => s.Action.filter((a) => a === '*' || a.endsWith(':*')).map((a) => `${s.where}: ${a}`));
    expect(wildcards).toEqual([]);
    // A key policy's Resource is always `*`: it means the key itself.
    const unscoped = allows
      .filter((s) => s.Resource.includes('*') && !s.where.startsWith('Key '))
      .flatMap((s) => s.Action.filter((a) => !UNSCOPABLE.test(a)).map((a) => `${s.where}: ${a}`));
    expect(unscoped).toEqual([]);
  });

  test('gives each function, each Glue job and the state machine a role of its own', () => {
    const roleOf = (v: unknown) => references(v)[0];
    const users = [
      ...resourcesOfType(t, 'AWS::Lambda::Function').map(([, r]) => roleOf(r.Properties.Role)),
      ...resourcesOfType(t, 'AWS::Glue::Job').map(([, r]) => roleOf(r.Properties.Role)),
      roleOf(props(t, 'IngestionStateMachine', 'AWS::StepFunctions::StateMachine').RoleArn),
    ];
    expect(users).toHaveLength(resourcesOfType(t, 'AWS::Lambda::Function').length + 3 + 1);
    expect(new Set(users).size).toBe(users.length);
    for (const role of users) expect(t.Resources[role!]?.Type).toBe('AWS::IAM::Role');
  });

  test('exports the outputs the CLI and the other teams rely on', () => {
    expect(Object.keys(t.Outputs)).toEqual(
      expect.arrayContaining([
        'RunLogTableName',
        'StateMachineArn',
        'TopicArn',
        'HttpApiUrl',
        'LandingBucketName',
        'DataBucketName',
        'LandingQueueUrl',
        'LandingDeadLetterQueueUrl',
      ]),
    );
  });
});

test('the resources a removal keeps are the ones docs/deployment.md says how to delete or adopt before a redeploy', () => {
  const teardown = readFileSync('docs/deployment.md', 'utf8').split('## Tear down')[1]!;
  for (const stage of STAGES) {
    const t = loadTemplate(stage);
    const kept = Object.entries(t.Resources)
      // Serverless retains Lambda versions, which go with their function.
      .filter(([, r]) => r.Type !== 'AWS::Lambda::Version')
      .filter(([, r]) => r.DeletionPolicy?.startsWith('Retain') || r.UpdateReplacePolicy === 'Retain')
      .map(([id]) => id)
      .sort();
    expect(kept).toEqual(['Key', 'PrivacyKeySecret', 'RunLogTable']);
    // Kept when the stack is removed, deleted when the deploy that created them rolls back: a failed first deploy
    // leaves no "already exists" behind. Deletion protection would stop that delete.
    for (const id of kept) expect({ id, policy: t.Resources[id]!.DeletionPolicy }).toEqual({ id, policy: 'RetainExceptOnCreate' });
    expect(props(t, 'RunLogTable', 'AWS::DynamoDB::Table').DeletionProtectionEnabled).not.toBe(true);
    // The import template takes exactly these, and the change set names an identifier for each.
    expect(teardown).toContain(`[${['Key', 'RunLogTable', 'PrivacyKeySecret'].map((id) => `"${id}"`).join(', ')}]`);
    for (const id of kept) expect(teardown).toContain(`\\"LogicalResourceId\\": \\"${id}\\"`);
    // Their fixed names, which a redeploy collides with, are the ones the commands delete or import.
    expect(props(t, 'RunLogTable', 'AWS::DynamoDB::Table').TableName).toBe(`landing-etl-${stage}-runlog`);
    expect(props(t, 'PrivacyKeySecret', 'AWS::SecretsManager::Secret').Name).toBe(`landing-etl/${stage}/privacy-key`);
  }
  expect(teardown).toContain('table="landing-etl-$stage-runlog"; secret="landing-etl/$stage/privacy-key"');
  // The key still encrypts the retained snapshot and backups: its deletion comes only after checking that none is left.
  const afresh = teardown.split('*Start afresh*')[1]!.split('*Keep them*')[0]!;
  const scheduling = afresh.indexOf('aws kms schedule-key-deletion');
  expect(scheduling).toBeGreaterThan(afresh.indexOf('aws rds describe-db-cluster-snapshots'));
  expect(scheduling).toBeGreaterThan(afresh.indexOf('aws dynamodb list-backups'));
  expect(afresh.slice(0, afresh.indexOf('**Leave the key.**'))).not.toContain('schedule-key-deletion');
});

test('dev creates an Aurora Serverless v2 cluster with a generated secret; prod uses the given cluster', () => {
  const dev = loadTemplate('dev');
  const cluster = props(dev, 'DatabaseCluster', 'AWS::RDS::DBCluster');
  expect(cluster).toMatchObject({ Engine: 'aurora-postgresql', StorageEncrypted: true, ServerlessV2ScalingConfiguration: { MinCapacity: 0 } });
  expect(text(at(cluster, 'MasterUserPassword.Fn::Sub'))).toMatch(/^\{\{resolve:secretsmanager:\$\{DatabaseSecret\}/);
  expect(props(dev, 'DatabaseSecretAttachment', 'AWS::SecretsManager::SecretTargetAttachment').TargetId).toEqual({ Ref: 'DatabaseCluster' });
  // The internet-facing query function connects as the read-only role, and can read no other secret.
  expect(props(dev, 'DatabaseReaderSecretAttachment', 'AWS::SecretsManager::SecretTargetAttachment').TargetId).toEqual({ Ref: 'DatabaseCluster' });
  expect(JSON.parse(text(at(props(dev, 'DatabaseReaderSecret', 'AWS::SecretsManager::Secret'), 'GenerateSecretString.SecretStringTemplate')))).toEqual({
    username: 'landing_etl_reader',
    dbname: 'landing_etl',
  });
  expect(at(props(dev, 'QueryLambdaFunction', 'AWS::Lambda::Function'), 'Environment.Variables.DB_SECRET_ARN')).toEqual({ Ref: 'DatabaseReaderSecret' });
  expect(secretsReadBy(dev, 'QueryRole')).toEqual([{ Ref: 'DatabaseReaderSecret' }]);

  const prod = loadTemplate('prod');
  expect(resourcesOfType(prod, 'AWS::RDS::DBCluster')).toEqual([]);
  const master = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:landing-etl-db-AbCdEf';
  const reader = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:landing-etl-db-reader-GhIjKl';
  expect(at(props(prod, 'QueryLambdaFunction', 'AWS::Lambda::Function'), 'Environment.Variables.DB_SECRET_ARN')).toBe(reader);
  expect(secretsReadBy(prod, 'QueryRole')).toEqual([reader]);
  expect(at(props(prod, 'LoadJob', 'AWS::Glue::Job'), 'NonOverridableArguments.--db_secret_arn')).toBe(master);
});

/** The resources of a role's secretsmanager:GetSecretValue grants. */
function secretsReadBy(t: Template, role: string): unknown[] {
  return statements(t)
    .filter((s) => s.where.startsWith(`${role}/`) && s.Action.includes('secretsmanager:GetSecretValue'))
    .flatMap((s) => s.Resource);
}
