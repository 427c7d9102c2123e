import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Reads small JSON documents (quality reports) from the staging zone. */
export interface StagingZone {
  /** The parsed document at s3://bucket/key, or undefined when there is none. */
  readJson(uri: string): Promise<unknown>;
}

const parseUri = (uri: string) => {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: m[1]!, key: m[2]! };
};

/** The staging zone through the S3 API; or, where `localRoot` names a folder that stands for S3 (the local stack's
 *  folder mode, as the Glue jobs' storage.py reads it), through its files. */
export function stagingZone(s3: S3Client, localRoot: string | undefined): StagingZone {
  return {
    async readJson(uri) {
      const { bucket, key } = parseUri(uri);
      if (localRoot) {
        try {
          return JSON.parse(await readFile(join(localRoot, bucket, ...key.split('/')), 'utf8'));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw e;
        }
      }
      try {
        const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return JSON.parse(await Body!.transformToString('utf8'));
      } catch (e) {
        if (e instanceof NoSuchKey) return undefined;
        throw e;
      }
    },
  };
}

/** Where an attempt of an ingestion stages its files: `<stagingUri>/attempt-<n>`, so an earlier attempt still
 *  running can overwrite nothing of a later one. The state machine composes the same for its jobs' --staging_uri
 *  (statemachine/stage.asl.json; test/unit/statemachine.test.ts checks they agree). */
export const attemptStagingUri = (stagingUri: string, attempt: number) => `${stagingUri}/attempt-${attempt}`;

/** An attempt's quality report and rejected rows. */
export const stagedOutputs = (stagingUri: string, attempt: number) => {
  const root = attemptStagingUri(stagingUri, attempt);
  return { report: `${root}/quality-report.json`, rejectedRows: `${root}/rejected/` };
};
