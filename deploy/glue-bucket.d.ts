// Types of deploy/glue-bucket.js for the TypeScript tests that import it.
import type { S3Client } from '@aws-sdk/client-s3';

export const GLUE_PREFIX: 'glue/';
export class GlueBucketError extends Error {}
export function glueHashOfUri(uri: unknown): string | null;
export function uploadGlueArtifacts(s3: S3Client, bucket: string, build: { hash: string; dir: string; files: string[] }): Promise<number>;
export function deleteGlueArtifacts(s3: S3Client, bucket: string): Promise<number>;
export function pruneGlueArtifacts(
  s3: S3Client,
  bucket: string,
  options: { keep: number; protect?: Array<string | null | undefined> },
): Promise<{ kept: string[]; removed: string[] }>;
