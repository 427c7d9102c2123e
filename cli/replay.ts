// `landing-etl replay`: re-runs the ingestions of a business-date range of one dataset from their landed objects,
// through the landing queue (functions/shared/replay.ts says how a replay travels and is recorded).
import { parseS3Event } from '../functions/executor/s3-event';
import { identify } from '../functions/executor/ingest';
import { executionInputSchema } from '../functions/shared/execution';
import { MAX_REASON_LENGTH, MAX_REPLAY_INGESTIONS, replayRecord, type Replay, type ReplayedObject, type ReplayLog } from '../functions/shared/replay';
import { IN_FLIGHT_STATUSES, type IngestionSummary } from '../functions/shared/run-log';
import { visibleText } from '../functions/shared/visible-text';
import { ReplayPlanError, UsageError } from './errors';
import { table } from './format';

export interface ReplayRequest {
  dataset: string;
  from: string;
  to: string;
  versions: Replay['versions'];
  reason: string;
}

/** One version of a key, as S3's ListObjectVersions describes it. */
export interface ObjectVersion {
  versionId?: string | undefined;
  eTag?: string | undefined;
  size: number;
  isLatest: boolean;
  deleteMarker: boolean;
}

export interface PlannedReplay {
  businessDate: string;
  sourceUri: string;
  object: ReplayedObject;
  replayOf: string;
  /** The ingestion the executor will record for it (its own identify() of the message). */
  ingestionId: string;
  record: ReturnType<typeof replayRecord>;
}

export interface ReplayPlan {
  request: ReplayRequest;
  replayId: string;
  replays: PlannedReplay[];
  skipped: Array<{ businessDate: string; sourceUri: string; reason: string }>;
  /** The dates of the range no ingestion of the dataset has, as from–to spans. */
  datesWithoutIngestion: string[];
}

export interface ReplayPorts {
  replayLog: ReplayLog;
  /** Every version of exactly this key, delete markers included. */
  versions(bucket: string, key: string): Promise<ObjectVersion[]>;
  /** Sends message bodies to the landing queue; resolves once every one is on it. */
  send(bodies: string[]): Promise<void>;
  /** Who is asking: the caller's ARN on AWS, local:<user> on the local stack. */
  caller(): Promise<string>;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const realDate = (d: string) => DATE.test(d) && new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d;

/** The command line's replay, or a UsageError naming what is wrong with it. */
export function replayRequest(
  o: { dataset?: string | undefined; from?: string | undefined; to?: string | undefined; latest: boolean; reason?: string | undefined },
  datasets: string[],
): ReplayRequest {
  if (!o.dataset) throw new UsageError('replay needs --dataset NAME');
  if (!datasets.includes(o.dataset)) throw new UsageError(`no dataset "${visibleText(o.dataset)}"; known datasets: ${datasets.join(', ')}`);
  for (const [name, value] of [['--from', o.from], ['--to', o.to]] as const) {
    if (!value) throw new UsageError(`replay needs ${name} YYYY-MM-DD`);
    if (!realDate(value)) throw new UsageError(`${name} must be a date YYYY-MM-DD, got "${visibleText(value)}"`);
  }
  if (o.from! > o.to!) throw new UsageError(`--from ${o.from} is after --to ${o.to}: the range is empty`);
  const reason = o.reason?.trim() ?? '';
  if (!reason) throw new UsageError('replay needs --reason TEXT: why it is replayed (recorded with who asked)');
  if (reason.length > MAX_REASON_LENGTH) throw new UsageError(`--reason is ${reason.length} characters; at most ${MAX_REASON_LENGTH}`);
  return { dataset: o.dataset, from: o.from!, to: o.to!, versions: o.latest ? 'latest' : 'recorded', reason };
}

/** What the replay will do: per source object of the range, its newest ingestion that was not rejected is replayed
 *  from the version it ingested (or, asked for the latest, from the key's latest version); what cannot be replayed
 *  is listed with why. An error when there is nothing to replay or more than one replay records. */
export async function planReplay(
  request: ReplayRequest,
  replayId: string,
  summaries: IngestionSummary[],
  versions: ReplayPorts['versions'],
  now: Date,
): Promise<ReplayPlan> {
  const span = `business dates ${request.from} to ${request.to}`;
  if (summaries.length === 0) throw new ReplayPlanError(`no ingestions of ${request.dataset} have ${span}`);
  const plan: ReplayPlan = { request, replayId, replays: [], skipped: [], datesWithoutIngestion: missingDates(request, summaries) };
  const byObject = new Map<string, IngestionSummary[]>();
  for (const s of summaries) byObject.set(s.sourceUri, [...(byObject.get(s.sourceUri) ?? []), s]);
  for (const [sourceUri, runs] of [...byObject].sort(([a, x], [b, y]) => x[0]!.businessDate.localeCompare(y[0]!.businessDate) || a.localeCompare(b))) {
    const newest = runs.filter((s) => s.status !== 'REJECTED').sort((a, b) => b.receivedAt.localeCompare(a.receivedAt))[0];
    const skip = (businessDate: string, reason: string) => plan.skipped.push({ businessDate, sourceUri, reason });
    if (!newest) {
      skip(runs[0]!.businessDate, `every ingestion of it was rejected (${visibleText(runs[0]!.cause ?? 'no reason recorded')})`);
      continue;
    }
    if (IN_FLIGHT_STATUSES.includes(newest.status)) {
      skip(newest.businessDate, `its ingestion ${newest.ingestionId} is ${newest.status}: replay it once that has ended`);
      continue;
    }
    const input = executionInputSchema.safeParse(JSON.parse(newest.executionInput ?? 'null'));
    if (!input.success) {
      skip(newest.businessDate, `its ingestion ${newest.ingestionId} recorded no execution input`);
      continue;
    }
    const { bucket, key, versionId: recorded, size, sequencer } = input.data.source;
    const all = await versions(bucket, key);
    const latest = all.find((v) => v.isLatest && !v.deleteMarker);
    let object: ReplayedObject;
    if (request.versions === 'latest' || recorded === null) {
      // An unversioned bucket keeps one object per key: "the version it ingested" is the object as it is now.
      if (!latest) {
        skip(newest.businessDate, 'the key has no current version (it was deleted)');
        continue;
      }
      const same = latest.versionId === recorded && recorded !== null;
      object = { bucket, key, versionId: latest.versionId, eTag: latest.eTag, size: latest.size, sequencer: same ? (sequencer ?? undefined) : undefined };
    } else {
      const version = all.find((v) => v.versionId === recorded && !v.deleteMarker);
      if (!version) {
        skip(newest.businessDate, `version ${recorded} is no longer in the bucket (--latest replays the key's latest version)`);
        continue;
      }
      object = { bucket, key, versionId: recorded, eTag: version.eTag, size, sequencer: sequencer ?? undefined };
    }
    const record = replayRecord(object, { replayId, replayOf: newest.ingestionId, businessDate: newest.businessDate }, now);
    const identity = identify(parseS3Event({ Records: [record] })[0]!)!;
    plan.replays.push({ businessDate: newest.businessDate, sourceUri, object, replayOf: newest.ingestionId, ingestionId: identity.ingestionId, record });
  }
  if (plan.replays.length === 0) {
    throw new ReplayPlanError(`nothing of ${request.dataset} with ${span} can be replayed: ${plan.skipped.map((s) => `${visibleText(s.sourceUri)}: ${s.reason}`).join('; ')}`);
  }
  if (plan.replays.length > MAX_REPLAY_INGESTIONS) {
    throw new ReplayPlanError(`${plan.replays.length} ingestions of ${request.dataset} have ${span}; one replay records at most ${MAX_REPLAY_INGESTIONS}: replay a narrower range`);
  }
  return plan;
}

/** The dates from..to no ingestion has, as spans ("2026-11-03" or "2026-11-03..2026-11-05"). */
function missingDates({ from, to }: ReplayRequest, summaries: IngestionSummary[]): string[] {
  const known = new Set(summaries.map((s) => s.businessDate));
  const spans: Array<[string, string]> = [];
  for (let d = new Date(`${from}T00:00:00Z`); d.toISOString().slice(0, 10) <= to; d.setUTCDate(d.getUTCDate() + 1)) {
    const day = d.toISOString().slice(0, 10);
    if (known.has(day)) continue;
    const last = spans.at(-1);
    const previous = new Date(d.getTime() - 86_400_000).toISOString().slice(0, 10);
    if (last && last[1] === previous) last[1] = day;
    else spans.push([day, day]);
  }
  return spans.map(([a, b]) => (a === b ? a : `${a}..${b}`));
}

/** What the replay will do, before it does it. */
export function formatPlan(plan: ReplayPlan): string {
  const { request: r } = plan;
  const lines = [
    `replay ${plan.replayId} of ${r.dataset}, business dates ${r.from} to ${r.to}, ${r.versions === 'latest' ? "each key's latest version" : 'the versions the runs ingested'}`,
    `reason: ${visibleText(r.reason)}`,
    '',
    table(
      ['BUSINESS DATE', 'SOURCE', 'VERSION', 'REPLAYS', 'AS'],
      plan.replays.map((p) => [p.businessDate, visibleText(p.sourceUri), p.object.versionId ?? '(unversioned)', p.replayOf, p.ingestionId]),
    ),
  ];
  if (plan.skipped.length > 0) lines.push('', 'not replayed:', ...plan.skipped.map((s) => `  ${s.businessDate}  ${visibleText(s.sourceUri)}: ${s.reason}`));
  if (plan.datesWithoutIngestion.length > 0) lines.push('', `no ingestion on: ${plan.datesWithoutIngestion.join(', ')}`);
  lines.push('', `${plan.replays.length} ingestion${plan.replays.length === 1 ? '' : 's'} to replay, ${plan.skipped.length} not replayed`);
  return lines.join('\n');
}

/** Records the replay (who asked, why, the range, its ingestions), then sends one landing-queue message per
 *  replayed object, then marks it sent. */
export async function sendReplay(plan: ReplayPlan, ports: ReplayPorts, now: () => Date): Promise<Replay> {
  const { request: r } = plan;
  const replay: Replay = {
    replayId: plan.replayId,
    dataset: r.dataset,
    from: r.from,
    to: r.to,
    versions: r.versions,
    requestedBy: await ports.caller(),
    reason: r.reason,
    requestedAt: now().toISOString(),
    ingestions: plan.replays.map((p) => ({ ingestionId: p.ingestionId, replayOf: p.replayOf })),
  };
  await ports.replayLog.record(replay);
  await ports.send(plan.replays.map((p) => JSON.stringify({ Records: [p.record] })));
  const sentAt = now().toISOString();
  await ports.replayLog.markSent(r.dataset, plan.replayId, sentAt);
  return { ...replay, sentAt };
}
