import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the local stack keeps its state. The names of its resources are those of the packaged dev stage
 *  (local/deployment.ts); a running stack writes them to .local/stack.json for tools. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const localDir = resolve(process.env.LOCAL_DIR ?? join(repoRoot, '.local'));

/** Every local AWS-API server accepts any credentials; the SDK clients still need some. */
export const localAws = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

export const paths = {
  stackFile: join(localDir, 'stack.json'),
  lockFile: join(localDir, 'stack.lock'),
  postgres: join(localDir, 'postgres'),
  dynamodb: join(localDir, 'dynamodb'),
  /** Folder-mode S3: one folder per bucket. */
  s3: join(localDir, 's3'),
  /** API-mode landing folder: what is dropped here is uploaded to the landing bucket, then removed. */
  dropFolder: join(localDir, 'landing'),
  /** Folder-mode S3: the landing files already announced to the executor (key, size, mtime), one JSON line each. */
  landingAnnounced: join(localDir, 'landing-announced.jsonl'),
  executions: join(localDir, 'stepfunctions'),
  glueLogs: join(localDir, 'glue'),
  /** Each function's unzipped package and its log. */
  lambdas: join(localDir, 'lambda'),
  notifications: join(localDir, 'notifications.jsonl'),
  /** Written as the stack stops: Glue's API calls and its runs (local/stack.ts). */
  glueReport: join(localDir, 'glue-report.json'),
  /** The executor's on-failure destination: events it could not process after Lambda's retries. */
  /** Events EventBridge could not deliver to a rule's target after its retries (the target's dead-letter queue). */
  eventDeadLetters: join(localDir, 'eventbridge-dead-letters.jsonl'),
  /** The local issuer's signing key and client secrets (local/issuer.ts), kept so tokens survive a restart. */
  issuer: join(localDir, 'issuer'),
  /** For tools: the token endpoint and the rows and operations clients' credentials (secret: owner-only). */
  apiClients: join(localDir, 'api-clients.json'),
  /** The privacy key the local secret holds, kept so pseudonyms survive a restart. */
  privacyKey: join(localDir, 'privacy-key'),
  /** Every AWS call of the stack's principals (LANDING_ETL_AWS_CALLS names another file). */
  awsCalls: resolve(process.env.LANDING_ETL_AWS_CALLS ?? join(localDir, 'aws-calls.jsonl')),
  sampleMarker: join(localDir, 'sample-ingested'),
  python: join(repoRoot, '.venv', 'bin', 'python'),
  glueScripts: join(repoRoot, 'glue-scripts'),
  /** Spark's S3A connector and the AWS SDK it needs (scripts/setup-python.sh fetches them from Maven Central). */
  sparkJars: join(repoRoot, '.venv', 'jars'),
  migrations: join(repoRoot, 'migrations'),
};

/** What `npm start` writes to .local/stack.json for the CLI, the tests and other tools. */
export interface StackInfo {
  pid: number;
  apiUrl: string;
  databaseUrl: string;
  dynamodbEndpoint: string;
  /** The one AWS endpoint of the stack (S3, Step Functions, SNS, Glue, Secrets Manager, DynamoDB). */
  awsEndpoint: string;
  /** `folder`: buckets are folders under .local/s3; `api`: buckets live in a local S3-API server. */
  s3Mode: 'folder' | 'api';
  landingFolder: string;
  landingBucket: string;
  dataBucket: string;
  /** The data bucket's folder in folder mode. */
  dataFolder?: string;
  runLogTable: string;
  stateMachineArn: string;
  /** Where landed objects (and replays) wait for the executor: the template's LandingQueue. */
  landingQueueUrl?: string;
  notificationsFile: string;
  /** Absent when the API is anonymous: the token endpoint and the file of the clients' credentials. */
  auth?: { tokenEndpoint: string; clientsFile: string };
}
