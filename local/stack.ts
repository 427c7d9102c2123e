import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { BatchStopJobRunCommand, GetJobRunCommand, GlueClient, StartJobRunCommand } from '@aws-sdk/client-glue';
import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';
import { execFile } from 'node:child_process';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startAwsApi, type Notification } from './aws-api';
import { reachability } from '../checks/network/paths';
import { startAwsGateway } from './aws-gateway';
import { CallRecorder } from './calls';
import { Deployment, LOCAL_ACCOUNT, LOCAL_REGION, LOCAL_STAGE } from './deployment';
import { startDynamo } from './dynamodb';
import { SparkDrivers } from './glue/drivers';
import { GlueModel, type GlueLimits } from './glue/model';
import { httpRoutes } from './api-routes';
import { startHttpApi } from './http-api';
import { apiClients, startIssuer } from './issuer';
import { folderObject, LandingWatcher, s3EventRecord, type S3Object } from './landing-watcher';
import { LocalLambdas } from './lambdas';
import { paths, repoRoot, type StackInfo } from './layout';
import { startMoto } from './moto';
import { packagedStage } from './packaged';
import { freePort } from './ports';
import { startPostgres } from './postgres';
import { LocalS3, localArtifactPath } from './s3';
import { LocalScheduler } from './scheduler';
import { createSecrets } from './secrets';
import { createQueues, notifier, QueueReader } from './sqs';
import { LocalEventBridge } from './eventbridge';
import { LocalStepFunctions } from './stepfunctions';
import { statusChangeEvent, type Execution } from './stepfunctions-executions';

export interface Stack {
  info: StackInfo;
  stop(): Promise<void>;
}

export interface StackOptions {
  port: number;
  log(line: string): void;
}

/** The credentials and endpoint a principal of the deployment calls AWS with: its role's logical id as the key id,
 *  so the gateway can attribute every call to the role that makes it on AWS. */
function principalEnv(role: string, endpoint: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: role,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ENDPOINT_URL: endpoint,
  };
}

/** Starts every part of the local stack and runs the packaged dev stage on it: the Lambda bundles, the state
 *  machine definition and the Glue artifacts `sls package` built, with the names and settings of its template. */
export async function startStack({ port, log }: StackOptions): Promise<Stack> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e: Error) => log(`shutdown: ${e.message}`));
  };
  try {
    const s3Mode = process.env.LOCAL_S3 === 'api' ? 'api' : 'folder';
    let deployment = Deployment.load(await packagedStage(LOCAL_STAGE, log));
    const { names } = deployment;
    if (!names.databaseSecret || !names.databaseReaderSecret || !names.databaseReaderUsername) {
      throw new Error(`the ${LOCAL_STAGE} package creates no database secrets: the local stack runs a stage with createDatabase=true`);
    }

    const db = await startPostgres(log);
    stops.push(db.stop);

    const dynamo = await startDynamo(paths.dynamodb, deployment.tables());
    stops.push(dynamo.stop);

    const moto = await startMoto({ account: LOCAL_ACCOUNT });
    stops.push(moto.stop);
    // The issuer the template's JWT authorizer trusts (its Cognito user pool), standing in on this machine.
    const issuer = await startIssuer(deployment, paths.issuer);
    if (issuer) stops.push(issuer.stop);
    // What CloudFormation creates on AWS: the secrets (their ARNs end in a random suffix, so they are created first
    // and then resolved into the template) and, in API mode, the buckets and the uploaded Glue artifacts.
    const secrets = await createSecrets(
      moto.endpoint,
      { database: names.databaseSecret, databaseReader: names.databaseReaderSecret, privacyKey: names.privacyKeySecret },
      db.url,
      names.databaseReaderUsername,
    );
    // The tables and the reader's role (with the password its new secret holds), before anything connects.
    await migrate(db.url, secrets.reader);
    const database = new URL(db.url);
    deployment = deployment.withOverrides({
      DatabaseSecret: { ref: secrets.database },
      DatabaseReaderSecret: { ref: secrets.databaseReader },
      PrivacyKeySecret: { ref: secrets.privacyKey },
      DatabaseCluster: { attributes: { 'Endpoint.Address': database.hostname, 'Endpoint.Port': database.port } },
    });
    const artifacts = deployment.glueArtifactsDir(repoRoot);
    const s3 = new LocalS3(s3Mode, moto.endpoint);
    await s3.createBuckets([names.landingBucket, names.dataBucket, names.deploymentBucket]);
    await createQueues(moto.endpoint, LOCAL_REGION, deployment.queues());
    await s3.publishArtifacts(names.deploymentBucket, artifacts);

    // Every principal's AWS calls go through one gateway, which records them for the IAM check.
    const recorder = new CallRecorder(paths.awsCalls, process.env.LANDING_ETL_TEST);
    const awsApiPort = await freePort();
    const awsApi = `http://127.0.0.1:${awsApiPort}`;
    let onLanded: (o: S3Object) => Promise<void> = async () => {};
    const gateway = await startAwsGateway({
      backends: {
        s3: moto.endpoint,
        secretsmanager: moto.endpoint,
        sqs: moto.endpoint,
        dynamodb: dynamo.endpoint,
        states: awsApi,
        sns: awsApi,
        glue: awsApi,
        ...(issuer ? { 'cognito-idp': issuer.endpoint } : {}),
      },
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      record: recorder.record,
      // A call the packaged network gives no path on AWS fails here too (checks/network/paths.ts).
      reachability: reachability(deployment.template.template),
      onS3Write: (o) => (o.bucket === names.landingBucket ? onLanded(o) : undefined),
      log,
    });
    stops.push(gateway.stop);

    const datasetsOverride = process.env.LANDING_ETL_DATASETS_DIR;
    const drivers = new SparkDrivers(
      Object.fromEntries(
        deployment.glueJobs().map((job) => [
          job.name,
          {
            script: localArtifactPath(job.scriptLocation, names.deploymentBucket, artifacts),
            pyFiles: (job.defaultArguments['--extra-py-files'] ?? '').split(',').filter(Boolean).map((f) => localArtifactPath(f, names.deploymentBucket, artifacts)),
            env: {
              // Lets the load job connect with the TLS the local PostgreSQL allows (landing_etl/db.py).
              LANDING_ETL_LOCAL_STACK: '1',
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              JAVA_HOME: process.env.JAVA_HOME,
              ...principalEnv(job.role, gateway.endpoint),
              ...s3.sparkEnv(gateway.endpoint),
              LANDING_ETL_SPARK_MASTER: process.env.LANDING_ETL_SPARK_MASTER ?? 'local[*]',
              // The drivers' local tuning, when set (README, configuration).
              ...Object.fromEntries(['LANDING_ETL_SPARK_MEMORY', 'LANDING_ETL_SPARK_JAVA_OPTIONS'].filter((k) => process.env[k]).map((k) => [k, process.env[k]])),
              PYSPARK_PYTHON: paths.python,
              SPARK_LOCAL_IP: '127.0.0.1',
            },
          },
        ]),
      ),
    );
    const glueLimits = localGlueLimits(process.env);
    const glue = new GlueModel(
      Object.fromEntries(
        deployment.glueJobs().map((job) => [
          job.name,
          { name: job.name, defaultArguments: job.defaultArguments, nonOverridableArguments: localTls(job.nonOverridableArguments), maxConcurrentRuns: Math.min(job.maxConcurrentRuns, glueLimits.jobConcurrentRuns), timeoutMinutes: job.timeoutMinutes, capacity: job.capacity, logGroupName: job.logGroupName },
        ]),
      ),
      drivers,
      glueLimits,
    );
    await mkdir(paths.glueLogs, { recursive: true });
    const warming = drivers.warmUp();
    stops.push(async () => {
      glue.close();
      await drivers.stopAll();
    });
    // What a benchmark reads once the stack has stopped: the Glue API calls made, and every run as it stood.
    stops.push(() => writeFile(paths.glueReport, JSON.stringify({ calls: glue.calls, runs: glue.list() })));

    // The state machine calls DynamoDB, Glue and SNS as its role, through the gateway.
    // One attempt per call: Step Functions' integrations surface an error to the definition's Retry and Catch, where
    // the SDK would retry a throttled call by itself.
    const asStateMachine = { ...principalEnvClient('StateMachineRole', gateway.endpoint), maxAttempts: 1 };
    const glueClient = new GlueClient(asStateMachine);
    // Lambda is invoked over IPC, not through the gateway: the call is recorded here, as the state machine's role.
    let invokeFunction: (arn: string, payload: unknown) => Promise<unknown> = () => Promise.reject(new Error('Lambda is not started yet'));
    // Executions' ends go to EventBridge once the functions its rules invoke have started.
    let announceEnd: (execution: Execution) => Promise<void> = async () => {};
    const snsClient = new SNSClient(asStateMachine);
    const definition = deployment.stateMachineDefinition();
    const stepFunctions = await LocalStepFunctions.create({
      definition: datasetsOverride ? withDatasetsUri(deployment, definition, `file://${datasetsOverride}`) : definition,
      stateMachineArn: names.stateMachineArn,
      executionsDir: paths.executions,
      onEnded: (execution) => announceEnd(execution),
      services: {
        dynamodb: new DynamoDBClient(asStateMachine),
        glue: {
          startJobRun: (p) => glueClient.send(new StartJobRunCommand(p)) as Promise<{ JobRunId: string }>,
          getJobRun: (p) => glueClient.send(new GetJobRunCommand(p)) as never,
          batchStopJobRun: (p) => glueClient.send(new BatchStopJobRunCommand(p)) as never,
        },
        publish: (p) => snsClient.send(new PublishCommand(p)),
        invoke: (arn, payload) => invokeFunction(arn, payload),
      },
      pollMs: Number(process.env.LOCAL_POLL_MS ?? 1000),
      retryMs: process.env.LOCAL_RETRY_MS ? Number(process.env.LOCAL_RETRY_MS) : undefined,
    });
    // Let running executions record how they ended once their Glue jobs are stopped.
    stops.push(() => stepFunctions.settle(10_000));
    const notify = (n: Notification) => {
      log(`notification: ${n.subject ?? ''} ${n.message}`);
      void appendFile(paths.notifications, `${JSON.stringify(n)}\n`);
    };
    const api = await startAwsApi(stepFunctions, glue, notify, awsApiPort);
    stops.push(api.stop);

    // The CA bundle the template ships to the load job (--db_sslrootcert), as a file of the built artifacts.
    const caBundleUri = deployment.glueJobs().map((job) => job.nonOverridableArguments['--db_sslrootcert']).find(Boolean);
    const caBundle = caBundleUri ? localArtifactPath(caBundleUri, names.deploymentBucket, artifacts) : '';
    const lambdas = new LocalLambdas(deployment.functions(), paths.lambdas, (fn) => ({
      ...principalEnv(fn.role, gateway.endpoint),
      ...localTlsEnv(fn.environment, caBundle),
      // A Glue run's logs are its log file here (local/glue/drivers.ts), not CloudWatch streams.
      ...('GLUE_LOG_LINK' in fn.environment ? { GLUE_LOG_LINK: `file://${join(paths.glueLogs, '{jobName}-{runId}.log')}` } : {}),
      // The CLI reaches the local stack without --stage.
      ...('CLI_TARGET' in fn.environment ? { CLI_TARGET: '' } : {}),
      // A landed object that waits for a slot asks again after seconds here, not the template's half minute.
      ...('ADMISSION_RETRY_SECONDS' in fn.environment ? { ADMISSION_RETRY_SECONDS: process.env.LOCAL_ADMISSION_RETRY_SECONDS ?? '1' } : {}),
      // LOCAL_ADMISSION_SLOTS: how many ingestions run at once, when a benchmark sets other than the template's.
      ...('ADMISSION_SLOTS' in fn.environment && process.env.LOCAL_ADMISSION_SLOTS ? { ADMISSION_SLOTS: process.env.LOCAL_ADMISSION_SLOTS } : {}),
      // Folder mode: the staging zone is a folder, read as files (as the Glue jobs' storage.py does).
      ...(s3Mode === 'folder' && 'DATA_BUCKET' in fn.environment ? { LANDING_ETL_LOCAL_S3: paths.s3 } : {}),
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // A test hook (the fault suite's extra contracts): the bundles otherwise read the contracts they ship with.
      ...(datasetsOverride ? { DATASETS_DIR: datasetsOverride } : {}),
    }), log, lambdaOptions(process.env));
    await lambdas.start();
    stops.push(() => lambdas.stop());
    invokeFunction = async (arn, payload) => {
      const fn = deployment.functions().find((f) => f.name === arn.split(':').at(-1));
      recorder.record({
        time: new Date().toISOString(),
        principal: 'StateMachineRole',
        service: 'lambda',
        action: 'lambda:InvokeFunction',
        resource: arn,
        status: fn ? 200 : 404,
      });
      if (!fn) throw new Error(`Lambda.ResourceNotFoundException: Function not found: ${arn}`);
      return lambdas.handler(fn.logicalId)(payload);
    };
    const bus = new LocalEventBridge(deployment.eventRules(), (fn) => lambdas.handler(fn), paths.eventDeadLetters, log);
    announceEnd = (execution) => bus.put(statusChangeEvent(execution, LOCAL_ACCOUNT, LOCAL_REGION));
    await stepFunctions.abortInterrupted();

    // EventBridge Scheduler: the schedules invoke their functions with the schedule's role (recorded for the IAM check).
    const scheduler = new LocalScheduler(
      deployment.schedules(),
      (schedule, event) => {
        recorder.record({ time: new Date().toISOString(), principal: schedule.role, service: 'lambda', action: 'lambda:InvokeFunction', resource: schedule.targetArn, status: 200 });
        return lambdas.handler(schedule.functionLogicalId)(event);
      },
      log,
      scheduleOptions(process.env),
    );
    scheduler.start();
    stops.push(() => scheduler.stop());

    let ready = false;
    const routes = httpRoutes(deployment.routes(), issuer, (fn) => lambdas.handler(fn));
    const http = await startHttpApi(routes, port, () => ready);
    stops.push(http.stop);
    if (issuer) await writeFile(paths.apiClients, `${JSON.stringify(apiClients(issuer), null, 2)}\n`, { mode: 0o600 });

    // S3 notifies the queues the landing bucket's NotificationConfiguration names, for the keys it filters; the
    // event source mappings read them with their functions' roles.
    const queues = new Map(deployment.queues().map((q) => [q.logicalId, q.url]));
    const s3Notifier = notifier(moto.endpoint, LOCAL_REGION);
    stops.push(async () => s3Notifier.stop());
    const notifications = deployment.landingNotifications();
    onLanded = async (object) => {
      for (const n of notifications.filter((n) => n.matches(object.key))) await s3Notifier.send(queues.get(n.queueLogicalId)!, { Records: [s3EventRecord(object, LOCAL_REGION)] });
    };
    for (const mapping of deployment.queueMappings()) {
      const fn = deployment.functions().find((f) => f.logicalId === mapping.functionLogicalId)!;
      const sqs = new SQSClient({ ...principalEnvClient(fn.role, gateway.endpoint), maxAttempts: 1 });
      const reader = new QueueReader(mapping, sqs, lambdas.handler(fn.logicalId), queueArn(mapping.queueUrl), log);
      reader.start();
      stops.push(() => reader.stop().finally(() => sqs.destroy()));
    }
    const landingFolder = s3Mode === 'api' ? paths.dropFolder : join(paths.s3, names.landingBucket);
    await mkdir(landingFolder, { recursive: true });
    const watcher = new LandingWatcher(
      landingFolder,
      async (file) => (s3Mode === 'api' ? s3.upload(names.landingBucket, file, gateway.endpoint) : onLanded(await folderObject(names.landingBucket, file))),
      // Folder mode: the landing folder is the bucket and keeps its files, so what was announced is remembered across
      // restarts. API mode: an announced file is uploaded and removed; one still there was never uploaded.
      s3Mode === 'folder' ? { memoryFile: paths.landingAnnounced } : {},
    );
    await warming;
    watcher.start();
    stops.push(() => watcher.stop());
    ready = true;

    return {
      info: {
        pid: process.pid,
        apiUrl: http.url,
        databaseUrl: db.url,
        dynamodbEndpoint: dynamo.endpoint,
        awsEndpoint: gateway.endpoint,
        s3Mode,
        landingFolder,
        landingBucket: names.landingBucket,
        dataBucket: names.dataBucket,
        ...(s3Mode === 'folder' ? { dataFolder: join(paths.s3, names.dataBucket) } : {}),
        runLogTable: names.runLogTable,
        stateMachineArn: names.stateMachineArn,
        landingQueueUrl: queues.get('LandingQueue'),
        notificationsFile: paths.notifications,
        ...(issuer ? { auth: { tokenEndpoint: issuer.tokenEndpoint, clientsFile: paths.apiClients } } : {}),
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** The local account's Glue limits. The account's concurrent runs default to 2 (LOCAL_GLUE_CONCURRENCY), not AWS's 50:
 *  every run's driver shares this machine's cores. LOCAL_GLUE_JOB_CONCURRENCY lowers every job's MaxConcurrentRuns
 *  below the template's; LOCAL_GLUE_API_RATES (`GetJobRun=5,StartJobRun=2`: calls a second) throttles Glue's API as
 *  AWS may; LOCAL_GLUE_QUEUE_TIMEOUT_MS bounds a queued run's wait. */
function localGlueLimits(env: NodeJS.ProcessEnv): GlueLimits & { jobConcurrentRuns: number } {
  const count = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^[1-9]\d*$/.test(raw)) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
    return Number(raw);
  };
  const rates = (env.LOCAL_GLUE_API_RATES ?? '').split(',').filter(Boolean).map((pair) => {
    const m = /^(StartJobRun|GetJobRun|BatchStopJobRun)=(\d+(?:\.\d+)?)$/.exec(pair.trim());
    if (!m) throw new Error(`LOCAL_GLUE_API_RATES must be OPERATION=CALLS_PER_SECOND pairs of StartJobRun, GetJobRun, BatchStopJobRun, got "${pair}"`);
    return [m[1]!, Number(m[2])];
  });
  const queueTimeoutMs = env.LOCAL_GLUE_QUEUE_TIMEOUT_MS ? count('LOCAL_GLUE_QUEUE_TIMEOUT_MS', 0) : undefined;
  return {
    accountConcurrentRuns: count('LOCAL_GLUE_CONCURRENCY', 2),
    jobConcurrentRuns: count('LOCAL_GLUE_JOB_CONCURRENCY', Number.MAX_SAFE_INTEGER),
    apiRates: Object.fromEntries(rates),
    minuteMs: 60_000,
    ...(queueTimeoutMs ? { queueTimeoutMs } : {}),
  };
}

/** LOCAL_LAMBDA_RESPONSE_LIMIT_BYTES, a smaller response limit than Lambda's for tests, checked. */
function lambdaOptions(env: NodeJS.ProcessEnv): { responseLimitBytes?: number } {
  const limit = env.LOCAL_LAMBDA_RESPONSE_LIMIT_BYTES;
  if (limit === undefined || limit === '') return {};
  if (!/^[1-9]\d*$/.test(limit)) throw new Error(`LOCAL_LAMBDA_RESPONSE_LIMIT_BYTES must be a positive number of bytes, got "${limit}"`);
  return { responseLimitBytes: Number(limit) };
}

/** The SDK settings of a principal of the deployment (as principalEnv gives its processes). */
function principalEnvClient(role: string, endpoint: string) {
  return { endpoint, region: LOCAL_REGION, credentials: { accessKeyId: role, secretAccessKey: 'local' } };
}

/** A queue's ARN from its URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME). */
function queueArn(url: string): string {
  const [, account, name] = new URL(url).pathname.split('/');
  return `arn:aws:sqs:${LOCAL_REGION}:${account}:${name}`;
}

/** LOCAL_SCHEDULE_EVERY_MS and LOCAL_SCHEDULE_TIME (local/scheduler.ts), checked: a typo must not silently leave the
 *  template's period or the machine's clock in place. */
function scheduleOptions(env: NodeJS.ProcessEnv): { everyMs?: number; firstTickAt?: Date } {
  const every = env.LOCAL_SCHEDULE_EVERY_MS;
  const time = env.LOCAL_SCHEDULE_TIME;
  if (every && !/^\d+$/.test(every)) throw new Error(`LOCAL_SCHEDULE_EVERY_MS must be milliseconds (0: no schedules), got "${every}"`);
  if (time && Number.isNaN(Date.parse(time))) throw new Error(`LOCAL_SCHEDULE_TIME must be an ISO-8601 instant, got "${time}"`);
  return { ...(every ? { everyMs: Number(every) } : {}), ...(time ? { firstTickAt: new Date(time) } : {}) };
}

// The database's TLS, locally. The template verifies the server (verify-full against the Amazon RDS CAs), which the
// local PostgreSQL's self-signed certificate (local/postgres.ts) cannot pass; the local stack therefore requires TLS
// without verifying it, by overriding only the resolved settings below, so the package it runs is the one that ships.

/** The load job's non-overridable arguments with TLS required but not verified (the template's --db_sslmode is
 *  verify-full; the driver's LANDING_ETL_LOCAL_STACK lets it connect so). */
function localTls(args: Record<string, string>): Record<string, string> {
  return '--db_sslmode' in args ? { ...args, '--db_sslmode': 'require' } : args;
}

/** A function's TLS settings, locally: DB_SSL_MODE=require; and NODE_EXTRA_CA_CERTS names the Lambda runtime's
 *  /var/runtime/ca-cert.pem, absent here, so it names the same RDS CAs the load job ships instead. */
function localTlsEnv(env: Record<string, string>, caBundle: string): Record<string, string> {
  return {
    ...('DB_SSL_MODE' in env ? { DB_SSL_MODE: 'require' } : {}),
    ...('NODE_EXTRA_CA_CERTS' in env ? { NODE_EXTRA_CA_CERTS: caBundle } : {}),
  };
}

/** The definition with another DatasetsUri (the test hook LANDING_ETL_DATASETS_DIR). */
function withDatasetsUri(deployment: Deployment, definition: string, uri: string): string {
  const shipped = deployment.template.property<Record<string, string>>('IngestionStateMachine', 'DefinitionSubstitutions').DatasetsUri!;
  return definition.replaceAll(JSON.stringify(shipped).slice(1, -1), uri);
}

/** Applies migrations/ and keeps the reader's role with the same runner the load job uses. */
async function migrate(databaseUrl: string, reader: { username: string; password: string }): Promise<void> {
  await promisify(execFile)(paths.python, ['-m', 'landing_etl.migrations', paths.migrations], {
    cwd: paths.glueScripts,
    env: { ...process.env, DATABASE_URL: databaseUrl, DB_READER_USERNAME: reader.username, DB_READER_PASSWORD: reader.password },
  });
}

