import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteGlueArtifacts, pruneGlueArtifacts } from '../../deploy/glue-bucket.js';
import LandingEtlDeploy from '../../deploy/serverless-plugin.js';

// The deployment bucket's Glue artifacts against moto's S3 (and CloudFormation, for the plugin's stack look-ups):
// a local server speaking the real S3 API, versioning and delete markers included.

let moto: ChildProcess;
let config: { endpoint: string; region: string; forcePathStyle: boolean; credentials: { accessKeyId: string; secretAccessKey: string } };
let s3: S3Client;
let buckets = 0;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

beforeAll(async () => {
  const port = await freePort();
  moto = spawn('.venv/bin/moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  config = {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  s3 = new S3Client(config);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(`${config.endpoint}/moto-api/`);
      break;
    } catch {
      if (moto.exitCode !== null) throw new Error(`moto_server exited with ${moto.exitCode}`);
      if (Date.now() > deadline) throw new Error('moto_server did not answer within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}, 40_000);

afterAll(() => {
  s3?.destroy();
  moto?.kill();
});

/** A new versioned bucket, as osls creates the deployment bucket with `versioning: true`. */
async function versionedBucket(): Promise<string> {
  const bucket = `deployment-${++buckets}-${Date.now()}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  return bucket;
}

const put = (bucket: string, key: string, body = key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

/** A Glue build folder: a script, the package and a contract, the script in two versions and one deleted file. */
async function glueFolder(bucket: string, hash: string) {
  for (const file of ['load.py', 'landing_etl.zip', 'datasets/dailycheckin.json', 'stale.txt']) await put(bucket, `glue/${hash}/${file}`);
  await put(bucket, `glue/${hash}/load.py`, 'second version');
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `glue/${hash}/stale.txt` }));
}

/** osls's own artifacts and keys that only look like ours. */
async function otherObjects(bucket: string) {
  await put(bucket, 'serverless/landing-etl/dev/1700000000000-2023-11-14T22:13:20.000Z/compiled-cloudformation-template.json');
  await put(bucket, 'serverless/landing-etl/dev/1700000000000-2023-11-14T22:13:20.000Z/executor.zip');
  await put(bucket, 'glueish/notes.txt');
  await put(bucket, 'glue-readme.txt');
}

/** Every version and delete marker in the bucket, as `key` (versions) and `key (delete marker)`. */
async function everything(bucket: string): Promise<string[]> {
  const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  return [
    ...(page.Versions ?? []).map((v) => v.Key!),
    ...(page.DeleteMarkers ?? []).map((m) => `${m.Key!} (delete marker)`),
  ].sort();
}

const folders = (keys: string[]) => [...new Set(keys.filter((k) => k.startsWith('glue/')).map((k) => k.split('/')[1]))].sort();
const nextSecond = () => new Promise((r) => setTimeout(r, 1_100)); // S3 LastModified has whole seconds

test('removal deletes every version and delete marker under glue/ and nothing else', async () => {
  const bucket = await versionedBucket();
  for (const hash of ['h1', 'h2', 'h3', 'h4', 'h5']) await glueFolder(bucket, hash);
  await otherObjects(bucket);
  const before = await everything(bucket);
  expect(before.filter((k) => k.startsWith('glue/h1/'))).toEqual([
    'glue/h1/datasets/dailycheckin.json',
    'glue/h1/landing_etl.zip',
    'glue/h1/load.py',
    'glue/h1/load.py',
    'glue/h1/stale.txt',
    'glue/h1/stale.txt (delete marker)',
  ]);

  const deleted = await deleteGlueArtifacts(s3, bucket);

  expect(deleted).toBe(5 * 6);
  expect(await everything(bucket)).toEqual(before.filter((k) => !k.startsWith('glue/')));
  expect(await everything(bucket)).toHaveLength(4);
});

test('pruning keeps the newest folders, the one being deployed and the previous one, and deletes the rest entirely', async () => {
  const bucket = await versionedBucket();
  await otherObjects(bucket);
  await glueFolder(bucket, 'h1');
  await glueFolder(bucket, 'h2');
  await nextSecond();
  await glueFolder(bucket, 'h3');
  await nextSecond();
  await glueFolder(bucket, 'h4');
  await glueFolder(bucket, 'h5');
  const others = (await everything(bucket)).filter((k) => !k.startsWith('glue/'));

  // h5 is being deployed; the stack ran h1 before (a rollback to an old build): both stay, with the 2 newest.
  const result = await pruneGlueArtifacts(s3, bucket, { keep: 2, protect: ['h5', 'h1'] });

  expect(result.removed.sort()).toEqual(['h2', 'h3']);
  const after = await everything(bucket);
  expect(folders(after)).toEqual(['h1', 'h4', 'h5']);
  // Kept folders are whole, every version and marker; removed ones leave nothing, not even delete markers.
  expect(after.filter((k) => k.startsWith('glue/h4/'))).toHaveLength(6);
  expect(after.filter((k) => /^glue\/h[23]\//.test(k))).toEqual([]);
  expect(after.filter((k) => !k.startsWith('glue/'))).toEqual(others);

  // Pruning again changes nothing: what it keeps is stable.
  expect((await pruneGlueArtifacts(s3, bucket, { keep: 2, protect: ['h5', 'h1'] })).removed).toEqual([]);
  expect(await everything(bucket)).toEqual(after);
});

describe('the plugin', () => {
  const logged: string[] = [];
  const record = (message: string) => void logged.push(message);
  const log = { notice: record, info: record, warning: record };

  async function stack(name: string, opts: { bucket: string; glueUri?: string; protectedStack?: boolean }) {
    const cloudFormation = new CloudFormationClient(config);
    const template = {
      Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
      Outputs: {
        ServerlessDeploymentBucketName: { Value: opts.bucket },
        ...(opts.glueUri ? { GlueArtifactsUri: { Value: opts.glueUri } } : {}),
      },
    };
    await cloudFormation.send(
      new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template), EnableTerminationProtection: opts.protectedStack ?? false }),
    );
    cloudFormation.destroy();
  }

  /** The plugin as osls loads it, with a provider whose SDK configuration points at moto. */
  function plugin(stackName: string, bucket: string, service: Record<string, unknown> = {}) {
    const provider = {
      getAwsSdkV3Config: async () => config,
      getServerlessDeploymentBucketName: async () => bucket,
      naming: { getStackName: () => stackName },
    };
    const serverless = { getProvider: () => provider, serviceDir: process.cwd(), service: { provider: service }, classes: { Error } };
    return new LandingEtlDeploy(serverless, {}, { log });
  }

  test('before `sls remove` empties glue/ of the stage deployment bucket, leaving osls its own prefix', async () => {
    const bucket = await versionedBucket();
    await glueFolder(bucket, 'h1');
    await otherObjects(bucket);
    await stack('landing-etl-remove', { bucket });

    await plugin('landing-etl-remove', bucket).hooks['before:remove:remove']!();

    const left = await everything(bucket);
    expect(folders(left)).toEqual([]);
    expect(left.filter((k) => k.startsWith('serverless/landing-etl/dev/'))).toHaveLength(2);
  });

  test('leaves a stack with termination protection whole (osls then refuses the removal), and a missing stack alone', async () => {
    const bucket = await versionedBucket();
    await glueFolder(bucket, 'h1');
    await stack('landing-etl-protected', { bucket, protectedStack: true });

    await plugin('landing-etl-protected', bucket).hooks['before:remove:remove']!();
    await plugin('landing-etl-never-deployed', bucket).hooks['before:remove:remove']!();

    expect(folders(await everything(bucket))).toEqual(['h1']);
    // Left alone because the stack said so, not because it could not be read.
    expect(logged.filter((m) => m.includes('could not check'))).toEqual([]);
  });

  test('on deploy uploads the build, then prunes old folders but keeps the one the stack ran before the update', async () => {
    const bucket = await versionedBucket();
    for (const hash of ['old1', 'old2', 'old3']) await glueFolder(bucket, hash);
    await nextSecond();
    await glueFolder(bucket, 'recent');
    // The stack currently runs old1 (uploaded first, so the oldest folder).
    await stack('landing-etl-deploy', { bucket, glueUri: `s3://${bucket}/glue/old1/` });
    const dir = mkdtempSync(join(tmpdir(), 'glue-build-'));
    mkdirSync(join(dir, 'datasets'));
    writeFileSync(join(dir, 'load.py'), 'print("load")');
    writeFileSync(join(dir, 'datasets/dailycheckin.json'), '{}');
    const build = { hash: 'new', dir, files: ['datasets/dailycheckin.json', 'load.py'] };

    const deploy = plugin('landing-etl-deploy', bucket, { deploymentBucketObject: { maxPreviousDeploymentArtifacts: 2 } }) as unknown as {
      uploadGlueArtifacts(b: typeof build): Promise<void>;
      pruneGlueArtifacts(b: typeof build): Promise<void>;
    };
    await deploy.uploadGlueArtifacts(build);
    await deploy.pruneGlueArtifacts(build);

    const left = await everything(bucket);
    // keep 2: the new build and the most recent other; and old1, which the stack ran until this deploy.
    expect(folders(left)).toEqual(['new', 'old1', 'recent']);
    expect(left.filter((k) => k.startsWith('glue/new/'))).toEqual(['glue/new/datasets/dailycheckin.json', 'glue/new/load.py']);
  });
});
