import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import type { LandedFile } from './landing-watcher';
import { localAws, paths } from './layout';

/** Where a `s3://<deployment bucket>/glue/<hash>/…` location of the template was built on this machine. */
export function localArtifactPath(uri: string, deploymentBucket: string, artifactsDir: string): string {
  const prefix = `s3://${deploymentBucket}/glue/${basename(artifactsDir)}/`;
  if (!uri.startsWith(prefix)) throw new Error(`${uri} is not one of the Glue artifacts under ${prefix}`);
  return join(artifactsDir, uri.slice(prefix.length));
}

/** The stack's S3. In `folder` mode every bucket is a folder under .local/s3 and the jobs read and write it as files
 *  (LANDING_ETL_LOCAL_S3); data survives a restart. In `api` mode the buckets live in the local S3-API server, and
 *  everything — boto3, pyarrow and Spark's S3A connector — goes through the S3 API via the gateway, as on AWS. */
export class LocalS3 {
  constructor(
    readonly mode: 'folder' | 'api',
    /** The S3-API server, for what CloudFormation and a deploy do (create buckets, upload artifacts). */
    private readonly endpoint: string,
  ) {}

  private client() {
    return new S3Client({ endpoint: this.endpoint, forcePathStyle: true, ...localAws });
  }

  /** Versioned buckets, as the template declares the landing, data and deployment buckets. */
  async createBuckets(buckets: string[]): Promise<void> {
    if (this.mode === 'folder') {
      for (const bucket of buckets) await mkdir(join(paths.s3, bucket), { recursive: true });
      return;
    }
    const s3 = this.client();
    for (const Bucket of buckets) {
      await s3.send(new CreateBucketCommand({ Bucket })).catch((e: Error) => {
        if (e.name !== 'BucketAlreadyOwnedByYou') throw e;
      });
      await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    }
    s3.destroy();
  }

  /** The Glue artifacts under glue/<hash>/ of the deployment bucket, as the deploy plugin uploads them. */
  async publishArtifacts(deploymentBucket: string, artifactsDir: string): Promise<void> {
    const prefix = `glue/${basename(artifactsDir)}`;
    if (this.mode === 'folder') {
      const link = join(paths.s3, deploymentBucket, prefix);
      await mkdir(dirname(link), { recursive: true });
      await rm(link, { recursive: true, force: true });
      await symlink(artifactsDir, link);
      return;
    }
    const s3 = this.client();
    for (const entry of await readdir(artifactsDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = join(entry.parentPath, entry.name);
      const Key = `${prefix}/${relative(artifactsDir, file).split('\\').join('/')}`;
      await s3.send(new PutObjectCommand({ Bucket: deploymentBucket, Key, Body: await readFile(file) }));
    }
    s3.destroy();
  }

  /** What the Glue drivers need to reach this S3: the folder, or Spark's S3A connector pointed at the gateway for
   *  `s3://` (EMRFS's scheme on Glue), signing with the job role's credentials from the environment. */
  sparkEnv(gateway: string): Record<string, string> {
    if (this.mode === 'folder') return { LANDING_ETL_LOCAL_S3: paths.s3 };
    const conf = {
      'spark.hadoop.fs.s3.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
      'spark.hadoop.fs.s3a.endpoint': gateway,
      'spark.hadoop.fs.s3a.endpoint.region': localAws.region,
      'spark.hadoop.fs.s3a.path.style.access': 'true',
      'spark.hadoop.fs.s3a.connection.ssl.enabled': 'false',
      'spark.hadoop.fs.s3a.aws.credentials.provider': 'com.amazonaws.auth.EnvironmentVariableCredentialsProvider',
    };
    const jars = ['hadoop-aws-3.3.4.jar', 'aws-java-sdk-bundle-1.12.262.jar'].map((j) => join(paths.sparkJars, j));
    const args = ['--jars', jars.join(','), ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]), 'pyspark-shell'];
    return { PYSPARK_SUBMIT_ARGS: args.join(' ') };
  }

  /** API mode: a file dropped into the landing folder is uploaded (through the gateway, as a user would with the
   *  AWS CLI) and then removed from the folder; the upload is what notifies the executor. */
  async upload(bucket: string, file: LandedFile, gateway: string): Promise<void> {
    const s3 = new S3Client({ endpoint: gateway, forcePathStyle: true, region: localAws.region, credentials: { accessKeyId: 'LocalUser', secretAccessKey: 'local' } });
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: file.key, Body: createReadStream(file.path), ContentLength: file.size }));
      await rm(file.path);
    } finally {
      s3.destroy();
    }
  }
}
