import { createHash } from 'node:crypto';

export interface SourceObject {
  bucket: string;
  key: string;
  /** S3 version id when the bucket is versioned; the ETag stands in otherwise. */
  versionId?: string | undefined;
  eTag?: string | undefined;
  size: number;
}

const partitioned = /(?:^|\/)year=(\d{4})\/month=(\d{1,2})\/day=(\d{1,2})(?:\/|$)/;
const dashed = /(?:^|[^0-9])(\d{4})-(\d{2})-(\d{2})(?:[^0-9]|$)/;
const compact = /(?:^|[^0-9])(\d{4})(\d{2})(\d{2})(?:[^0-9]|$)/;

/** The business date of a landed object: from year=/month=/day= partitions, a YYYY-MM-DD or YYYYMMDD in the key,
 *  else the event time in UTC. Impossible dates in the key are ignored rather than trusted. */
export function businessDate(key: string, eventTime: Date): string {
  for (const pattern of [partitioned, dashed, compact]) {
    const m = pattern.exec(key);
    if (m) {
      const iso = `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
      if (isRealDate(iso)) return iso;
    }
  }
  return eventTime.toISOString().slice(0, 10);
}

function isRealDate(iso: string): boolean {
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso;
}

/** Deterministic ingestion id, also the Step Functions execution name (≤ 80 chars of A-Za-z0-9-_), so a second
 *  delivery of the same S3 event maps to the same execution and cannot start a second run. A replay's ingestion of the
 *  same object version is a new one: its replay id is part of the hash. */
export function ingestionId(dataset: string, date: string, source: SourceObject, replayId?: string): string {
  const version = source.versionId ?? source.eTag ?? '';
  const digest = createHash('sha256').update(`${source.bucket}\n${source.key}\n${version}${replayId ? `\n${replayId}` : ''}`).digest('hex');
  const name = dataset.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
  return `${name}-${date.replaceAll('-', '')}-${digest.slice(0, 16)}`;
}
