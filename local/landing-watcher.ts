import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

export interface S3EventRecord {
  eventVersion: string;
  eventSource: 'aws:s3';
  awsRegion: string;
  eventTime: string;
  eventName: 'ObjectCreated:Put';
  s3: {
    s3SchemaVersion: '1.0';
    bucket: { name: string; arn: string };
    object: { key: string; size: number; eTag: string; versionId?: string; sequencer: string };
  };
}

/** A new object of a bucket, as an S3 event describes it. */
export interface S3Object {
  bucket: string;
  key: string;
  size: number;
  eTag: string;
  versionId: string | undefined;
  sequencer: string;
}

/** The record S3 sends a notified function for a new object (the key URL-encoded, spaces as '+', as S3 does). */
export function s3EventRecord(o: S3Object, region: string): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: new Date().toISOString(),
    eventName: 'ObjectCreated:Put',
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: o.bucket, arn: `arn:aws:s3:::${o.bucket}` },
      object: {
        key: encodeURIComponent(o.key).replace(/%2F/g, '/').replace(/%20/g, '+'),
        size: o.size,
        eTag: o.eTag,
        ...(o.versionId ? { versionId: o.versionId } : {}),
        sequencer: o.sequencer,
      },
    },
  };
}

/** A complete file in a watched folder: its key (the path below the folder, with '/'), size and mtime. */
export interface LandedFile {
  path: string;
  key: string;
  size: number;
  mtimeMs: number;
}

interface Seen {
  size: number;
  mtimeMs: number;
  stableSince?: number;
  emitted?: boolean;
}

/** A file as last announced: a file whose size and mtime are the same has not changed since. */
interface Announced {
  key: string;
  size: number;
  mtimeMs: number;
}

export interface LandingWatcherOptions {
  /** How long a file's size and mtime must hold still before it is announced (it is completely written). */
  settleMs?: number;
  /** Where the files already announced are remembered across restarts (JSON lines). Without it, every file present
   *  at start is announced: right where announcing moves the file away (API mode's drop folder). */
  memoryFile?: string;
}

/** The landing folder, the friendly way into the local landing bucket. A file that appears or changes there is
 *  announced once its size and mtime have held still (it is completely written). Dot-files are in-progress copies
 *  and are skipped. With a memory file, a file announced before a restart is not announced again unless it changed
 *  (S3 notifies once per write, not per start): restarts neither count duplicates on past ingestions nor redo work
 *  that grows with the history; a file that came or changed while the stack was down is announced at start. */
export class LandingWatcher {
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> = Promise.resolve();
  private announced: Map<string, Announced> | undefined;
  private readonly settleMs: number;

  constructor(
    private readonly folder: string,
    private readonly onFile: (file: LandedFile) => Promise<void>,
    private readonly options: LandingWatcherOptions = {},
  ) {
    this.settleMs = options.settleMs ?? 300;
  }

  start(intervalMs = 200): void {
    this.scanning = this.recall().catch(() => {});
    this.timer = setInterval(() => {
      this.scanning = this.scanning.then(() => this.scan()).catch(() => {});
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.scanning;
  }

  /** Reads the memory, keeping the files that are still there, and writes it back compacted (one line a file). */
  private async recall(): Promise<void> {
    const file = this.options.memoryFile;
    if (!file) return;
    const announced = new Map<string, Announced>();
    const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n');
    for (const line of lines.filter(Boolean)) {
      try {
        const a = JSON.parse(line) as Announced;
        announced.set(a.key, a);
      } catch {
        // A line cut short by a crash: that file is announced again, which the executor counts as a duplicate.
      }
    }
    const present = new Set((await listFiles(this.folder)).map((path) => this.keyOf(path)));
    for (const key of announced.keys()) if (!present.has(key)) announced.delete(key);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, [...announced.values()].map((a) => `${JSON.stringify(a)}\n`).join(''));
    await rename(`${file}.tmp`, file);
    this.announced = announced;
  }

  private keyOf(path: string): string {
    return relative(this.folder, path).split(sep).join('/');
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
      const key = this.keyOf(path);
      const last = this.announced?.get(key);
      if (last && last.size === info.size && last.mtimeMs === info.mtimeMs) continue;
      await this.onFile({ path, key, size: info.size, mtimeMs: info.mtimeMs }).catch(() => {});
      await this.remember({ key, size: info.size, mtimeMs: info.mtimeMs });
    }
  }

  /** Appends an announced file to the memory (after its announcement: a crash in between announces it again). */
  private async remember(a: Announced): Promise<void> {
    if (!this.announced || !this.options.memoryFile) return;
    this.announced.set(a.key, a);
    await appendFile(this.options.memoryFile, `${JSON.stringify(a)}\n`);
  }
}

/** What S3 would say of a file of the landing folder when the folder is the bucket (folder mode): its MD5 as the
 *  ETag and, since a versioned bucket gives every write a new version id, content + mtime standing in for one. */
export async function folderObject(bucket: string, file: LandedFile): Promise<S3Object> {
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(file.path)) md5.update(chunk as Buffer);
  const eTag = md5.digest('hex');
  // Hex: a value that begins with '-' would read as an option to Glue's argument parser (getResolvedOptions).
  const versionId = createHash('sha256').update(`${eTag}:${file.mtimeMs}`).digest('hex').slice(0, 32);
  // The sequencer S3 would give the write: it grows with the file's mtime, which is the version's LastModified here.
  const sequencer = Math.round(file.mtimeMs).toString(16).toUpperCase().padStart(16, '0');
  return { bucket, key: file.key, size: file.size, eTag, versionId, sequencer };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => !relative(dir, p).split(sep).some((part) => part.startsWith('.')));
}
