import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { execFile } from 'node:child_process';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { invokeAsync } from './async-invoke';
import { startAwsApi } from './aws-api';
import { startDynamo } from './dynamodb';
import { LocalGlue } from './glue';
import { startHttpApi } from './http-api';
import { LandingWatcher, type S3EventRecord } from './landing-watcher';
import { localAws, names, paths, type StackInfo } from './layout';
import { startPostgres } from './postgres';
import { appendNotification, LocalStepFunctions, type Notification } from './stepfunctions';

export interface Stack {
  info: StackInfo;
  stop(): Promise<void>;
}

export interface StackOptions {
  port: number;
  log(line: string): void;
}

/** Starts every part of the local stack and wires the real handlers, definition and Glue scripts to them. */
export async function startStack({ port, log }: StackOptions): Promise<Stack> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e: Error) => log(`shutdown: ${e.message}`));
  };
  try {
    await mkdir(paths.landing, { recursive: true });
    await mkdir(join(paths.s3, names.dataBucket), { recursive: true });

    const db = await startPostgres(log);
    stops.push(db.stop);
    await migrate(db.url);

    const dynamo = await startDynamo();
    stops.push(dynamo.stop);

    const awsEnv = {
      AWS_REGION: names.region,
      AWS_DEFAULT_REGION: names.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    };
    // The template's DefaultArguments that all three jobs share, with local values.
    const commonArgs = { '--privacy_key_secret_arn': 'local', '--aws_region': names.region };
    const glue = new LocalGlue(
      {
        [names.jobs.transform]: { script: 'transform.py', defaultArguments: commonArgs },
        [names.jobs.test]: { script: 'quality.py', defaultArguments: commonArgs },
        // Locally the load job reads DATABASE_URL and the jobs LANDING_ETL_PRIVACY_KEY; on AWS these name secrets.
        [names.jobs.load]: { script: 'load.py', defaultArguments: { ...commonArgs, '--db_secret_arn': 'local', '--migrations_uri': `file://${paths.migrations}` } },
      },
      { ...process.env, ...awsEnv, DATABASE_URL: db.url, LANDING_ETL_LOCAL_S3: paths.s3, PYSPARK_PYTHON: paths.python, SPARK_LOCAL_IP: '127.0.0.1', LANDING_ETL_PRIVACY_KEY: process.env.LANDING_ETL_PRIVACY_KEY ?? 'landing-etl-local-privacy-key' },
      Number(process.env.LOCAL_GLUE_CONCURRENCY ?? 2),
    );
    await mkdir(paths.glueLogs, { recursive: true });
    const warming = glue.warmUp();
    stops.push(() => glue.stopAll());

    const notify = (n: Notification) => {
      log(`notification: ${n.subject ?? ''} ${n.message}`);
      void appendNotification(n);
    };
    const stepFunctions = await LocalStepFunctions.create({
      glue,
      dynamodb: new DynamoDBClient({ endpoint: dynamo.endpoint, ...localAws }),
      pollMs: Number(process.env.LOCAL_POLL_MS ?? 1000),
      retryMs: process.env.LOCAL_RETRY_MS ? Number(process.env.LOCAL_RETRY_MS) : undefined,
      onNotification: notify,
    });
    // Let running executions record how they ended once their Glue jobs are stopped.
    stops.push(() => stepFunctions.settle(10_000));
    const awsApi = await startAwsApi(stepFunctions, notify);
    stops.push(awsApi.stop);

    // The handlers read their configuration at import time, exactly as in Lambda: set it, then import them.
    Object.assign(process.env, awsEnv, {
      AWS_ENDPOINT_URL_SFN: awsApi.endpoint,
      AWS_ENDPOINT_URL_SNS: awsApi.endpoint,
      STATE_MACHINE_ARN: names.stateMachineArn,
      RUN_LOG_TABLE: names.runLogTable,
      TOPIC_ARN: names.topicArn,
      DATA_BUCKET: names.dataBucket,
      DATASETS_DIR: paths.datasets,
      DATABASE_URL: db.url,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    });
    const executor = await import('../functions/executor/handler');
    const query = await import('../functions/query/handler');
    const ingestions = await import('../functions/ingestions/handler');

    let ready = false;
    const http = await startHttpApi(
      [
        { routeKey: 'GET /get', handler: query.handler },
        { routeKey: 'GET /ingestions', handler: ingestions.handler },
        { routeKey: 'GET /ingestions/{id}', handler: ingestions.handler },
      ],
      port,
      () => ready,
    );
    stops.push(http.stop);

    const watcher = new LandingWatcher(paths.landing, names.landingBucket, (record) =>
      invokeExecutor(executor.handler, record, log),
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
        awsEndpoint: awsApi.endpoint,
        landingFolder: paths.landing,
        landingBucket: names.landingBucket,
        dataFolder: join(paths.s3, names.dataBucket),
        runLogTable: names.runLogTable,
        notificationsFile: paths.notifications,
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** Applies migrations/ with the same runner the load job uses. */
async function migrate(databaseUrl: string): Promise<void> {
  await promisify(execFile)(paths.python, ['-m', 'landing_etl.migrations', paths.migrations], {
    cwd: paths.glueScripts,
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });
}

type ExecutorHandler = (event: unknown, context: never) => Promise<Array<Record<string, string>>>;

async function invokeExecutor(handler: ExecutorHandler, record: S3EventRecord, log: (line: string) => void) {
  const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
  const outcomes = await invokeAsync(handler, { Records: [record] }, {
    async onFailure(event, error) {
      log(`executor failed for ${key} after its retries: ${error.message}; the event is in ${paths.executorFailures}`);
      await appendFile(paths.executorFailures, `${JSON.stringify({ time: new Date().toISOString(), key, error: error.message, event })}\n`);
    },
  });
  for (const o of outcomes ?? []) log(`landed ${key}: ${o.outcome} ${o.ingestionId ?? ''} ${o.reason ?? ''}`.trim());
}
