import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface S3EventRecord {
  eventVersion: string;
  eventSource: 'aws:s3';
  awsRegion: string;
  eventTime: string;
  eventName: 'ObjectCreated:Put';
  s3: {
    s3SchemaVersion: '1.0';
    bucket: { name: string; arn: string };
    object: { key: string; size: number; eTag: string; versionId: string; sequencer: string };
  };
}

interface Seen {
  size: number;
  mtimeMs: number;
  stableSince?: number;
  emitted?: boolean;
}

/** The landing bucket on this machine is a folder. A file that appears or changes there, once its size and mtime
 *  have held still (it is completely written), becomes the S3 ObjectCreated record the executor receives on AWS.
 *  Dot-files are in-progress uploads and are skipped. Files already present at start are announced too: the
 *  executor's deterministic ingestion id turns a re-announced object into a duplicate, not a second run. */
export class LandingWatcher {
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> = Promise.resolve();

  constructor(
    private readonly folder: string,
    private readonly bucket: string,
    private readonly onObject: (record: S3EventRecord) => Promise<void>,
    private readonly settleMs = 300,
  ) {}

  start(intervalMs = 200): void {
    this.timer = setInterval(() => {
      this.scanning = this.scanning.then(() => this.scan()).catch(() => {});
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.scanning;
  }

  private async scan(): Promise<void> {
    const now = Date.now();
    for (const path of await listFiles(this.folder)) {
      const info = await stat(path).catch(() => undefined);
      if (!info) continue;
      const prev = this.seen.get(path);
      if (!prev || prev.size !== info.size || prev.mtimeMs !== info.mtimeMs) {
        this.seen.set(path, { size: info.size, mtimeMs: info.mtimeMs, stableSince: now });
        continue;
      }
      if (prev.emitted || now - prev.stableSince! < this.settleMs) continue;
      prev.emitted = true;
      await this.onObject(await this.record(path, info.size, info.mtimeMs));
    }
  }

  private async record(path: string, size: number, mtimeMs: number): Promise<S3EventRecord> {
    const key = relative(this.folder, path).split(sep).join('/');
    const md5 = createHash('md5');
    for await (const chunk of createReadStream(path)) md5.update(chunk as Buffer);
    const eTag = md5.digest('hex');
    // A versioned bucket gives every write a new version id; content + mtime stands in for that here.
    const versionId = createHash('sha256').update(`${eTag}:${mtimeMs}`).digest('base64url').slice(0, 32);
    return {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: this.bucket, arn: `arn:aws:s3:::${this.bucket}` },
        object: {
          key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'),
          size,
          eTag,
          versionId,
          sequencer: Math.round(mtimeMs).toString(16).toUpperCase(),
        },
      },
    };
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => !relative(dir, p).split(sep).some((part) => part.startsWith('.')));
}
