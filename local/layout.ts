import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the local stack keeps its state and what it calls things: the local stand-ins for the deployed names. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const localDir = resolve(process.env.LOCAL_DIR ?? join(repoRoot, '.local'));

export const account = '000000000000';
const region = 'us-east-1';
export const names = {
  region,
  landingBucket: 'landing-etl-local-landing',
  dataBucket: 'landing-etl-local-data',
  runLogTable: 'landing-etl-local-runlog',
  topicArn: `arn:aws:sns:${region}:${account}:landing-etl-local-alerts`,
  stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:landing-etl-local-ingestion`,
  jobs: { transform: 'landing-etl-local-transform', test: 'landing-etl-local-test', load: 'landing-etl-local-load' },
};

/** Every local AWS-API server accepts any credentials; the SDK clients still need some. */
export const localAws = { region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

export const paths = {
  stackFile: join(localDir, 'stack.json'),
  lockFile: join(localDir, 'stack.lock'),
  postgres: join(localDir, 'postgres'),
  dynamodb: join(localDir, 'dynamodb'),
  /** Local S3: one folder per bucket. */
  s3: join(localDir, 's3'),
  landing: join(localDir, 's3', names.landingBucket),
  executions: join(localDir, 'stepfunctions'),
  glueLogs: join(localDir, 'glue'),
  notifications: join(localDir, 'notifications.jsonl'),
  /** The executor's on-failure destination: events it could not process after Lambda's retries. */
  executorFailures: join(localDir, 'executor-on-failure.jsonl'),
  sampleMarker: join(localDir, 'sample-ingested'),
  python: join(repoRoot, '.venv', 'bin', 'python'),
  glueScripts: join(repoRoot, 'glue-scripts'),
  /** Dataset contracts: the project's, or another folder of them (LANDING_ETL_DATASETS_DIR). */
  datasets: resolve(process.env.LANDING_ETL_DATASETS_DIR ?? join(repoRoot, 'datasets')),
  migrations: join(repoRoot, 'migrations'),
  stateMachine: join(repoRoot, 'statemachine', 'ingestion.asl.json'),
};

/** What `npm start` writes to .local/stack.json for the CLI, the tests and other tools. */
export interface StackInfo {
  pid: number;
  apiUrl: string;
  databaseUrl: string;
  dynamodbEndpoint: string;
  awsEndpoint: string;
  landingFolder: string;
  landingBucket: string;
  dataFolder: string;
  runLogTable: string;
  notificationsFile: string;
}
