import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { IngestionSummary, RunLog } from '../../functions/shared/run-log';
import type { StackInfo } from '../../local/layout';

/** Lands a file in the stack's landing bucket the way S3 does: it appears complete (dot-files are skipped). */
export function land(info: StackInfo, key: string, body: string | Buffer): string {
  const target = join(info.landingFolder, key);
  mkdirSync(dirname(target), { recursive: true });
  const partial = join(dirname(target), `.${basename(target)}.${process.hrtime.bigint()}.part`);
  writeFileSync(partial, body);
  renameSync(partial, target);
  return `s3://${info.landingBucket}/${key}`;
}

export const finished = (s: IngestionSummary) => ['SUCCEEDED', 'FAILED', 'REJECTED'].includes(s.status);

/** Polls the newest ingestion of `sourceUri` received since `since` until `done` holds, failing loudly at the deadline. */
export async function waitForIngestion(
  runLog: RunLog,
  sourceUri: string,
  since: string,
  done: (s: IngestionSummary) => boolean = finished,
  deadlineMs = 300_000,
): Promise<IngestionSummary> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const s = (await runLog.forObject(sourceUri, { since, limit: 1 }))[0];
    if (s && done(s)) return s;
    if (Date.now() > deadline) throw new Error(`${sourceUri}: not there in time (${s ? `${s.status} at ${s.state}` : 'nothing recorded'})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
