// The Glue artifacts in the deployment bucket, under glue/<content hash>/: upload one build, prune the folders old
// deploys left, and delete them all before the stack is removed. Each function takes an S3 client (the plugin's, or a
// test's pointed at a local S3), so none of this needs the Serverless Framework to run.
//
// The deployment bucket is versioned (provider.deploymentBucket.versioning), so deleting means deleting every object
// version and every delete marker by version id: a DELETE without one only adds a delete marker ("Working with delete
// markers", https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html), and a bucket that still holds
// versions cannot be deleted. osls's own `sls remove` does the same for its prefix only (serverless/<service>/<stage>/:
// lib/plugins/aws/remove/lib/bucket.js, listObjectVersions).
import { DeleteObjectsCommand, HeadObjectCommand, ListObjectVersionsCommand, NotFound, PutObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const GLUE_PREFIX = 'glue/';

/** DeleteObjects takes at most 1,000 keys a request. */
const DELETE_BATCH = 1000;

export class GlueBucketError extends Error {
  name = 'GlueBucketError';
}

/** The folder (content hash) of a key under glue/, or null for a key outside any folder. */
const hashOf = (key) => /^glue\/([^/]+)\/./.exec(key)?.[1] ?? null;

/** The hash in a GlueArtifactsUri stack output (`s3://BUCKET/glue/HASH/`), or null. */
export function glueHashOfUri(uri) {
  return typeof uri === 'string' ? (/\/glue\/([^/]+)\/?$/.exec(uri)?.[1] ?? null) : null;
}

/** Every version and delete marker under a prefix, page by page. */
async function listVersions(s3, bucket, prefix) {
  const versions = [];
  const markers = [];
  let KeyMarker;
  let VersionIdMarker;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker, VersionIdMarker }));
    versions.push(...(page.Versions ?? []));
    markers.push(...(page.DeleteMarkers ?? []));
    ({ NextKeyMarker: KeyMarker, NextVersionIdMarker: VersionIdMarker } = page.IsTruncated ? page : {});
  } while (KeyMarker || VersionIdMarker);
  return { versions, markers };
}

async function deleteVersions(s3, bucket, entries) {
  const objects = entries.map(({ Key, VersionId }) => ({ Key, VersionId }));
  for (let i = 0; i < objects.length; i += DELETE_BATCH) {
    const result = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects.slice(i, i + DELETE_BATCH), Quiet: true } }),
    );
    const [first] = result.Errors ?? [];
    if (first) {
      throw new GlueBucketError(
        `could not delete s3://${bucket}/${first.Key} (version ${first.VersionId}): ${first.Code} ${first.Message} ` +
          `(${result.Errors.length} objects not deleted)`,
      );
    }
  }
  return objects.length;
}

/** Uploads a build's files under glue/<hash>/, skipping those already there. Keys are content-addressed: an object
 *  that exists holds exactly these bytes. Returns how many files were uploaded. */
export async function uploadGlueArtifacts(s3, bucket, { hash, dir, files }) {
  let uploaded = 0;
  for (const file of files) {
    const key = `${GLUE_PREFIX}${hash}/${file}`;
    const exists = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      (e) => (e instanceof NotFound || e?.name === 'NotFound' ? false : Promise.reject(e)),
    );
    if (exists) continue;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(join(dir, file)) }));
    uploaded += 1;
  }
  return uploaded;
}

/** Deletes every version and delete marker under glue/ (and nothing else), so that the bucket can be deleted with
 *  the stack. Returns how many versions and markers were deleted. */
export async function deleteGlueArtifacts(s3, bucket) {
  const { versions, markers } = await listVersions(s3, bucket, GLUE_PREFIX);
  return deleteVersions(s3, bucket, [...versions, ...markers]);
}

/** Deletes the glue/<hash>/ folders of old deploys, every version of them. Kept: the `keep` folders uploaded most
 *  recently (by their newest object version) and, whatever their age, those in `protect` (the hash being deployed and
 *  the one the stack ran before it, which a job run started before the deploy may still be reading). Keys directly
 *  under glue/ are left alone. Returns the hashes kept and removed, newest first. */
export async function pruneGlueArtifacts(s3, bucket, { keep, protect = [] }) {
  if (!Number.isInteger(keep) || keep < 1) throw new GlueBucketError(`keep must be a positive integer, got ${keep}`);
  const { versions, markers } = await listVersions(s3, bucket, GLUE_PREFIX);
  const folders = new Map();
  const folder = (hash) => folders.get(hash) ?? folders.set(hash, { newest: 0, entries: [] }).get(hash);
  for (const v of versions) {
    const hash = hashOf(v.Key);
    if (!hash) continue;
    const f = folder(hash);
    f.entries.push(v);
    f.newest = Math.max(f.newest, new Date(v.LastModified ?? 0).getTime());
  }
  for (const m of markers) {
    const hash = hashOf(m.Key);
    if (hash) folder(hash).entries.push(m);
  }
  // Newest first; a folder left with delete markers only sorts last. Ties (same second) keep a stable name order.
  const ordered = [...folders.entries()].sort(([a, x], [b, y]) => y.newest - x.newest || a.localeCompare(b));
  const kept = new Set([...ordered.filter(([, f]) => f.newest > 0).slice(0, keep).map(([h]) => h), ...protect.filter(Boolean)]);
  const removed = ordered.filter(([hash]) => !kept.has(hash));
  await deleteVersions(s3, bucket, removed.flatMap(([, f]) => f.entries));
  return { kept: ordered.map(([h]) => h).filter((h) => kept.has(h)), removed: removed.map(([h]) => h) };
}
