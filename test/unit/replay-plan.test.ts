import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError, ReplayPlanError } from '../../cli/errors';
import { formatPlan, planReplay, replayRequest, sendReplay, type ObjectVersion, type ReplayPorts } from '../../cli/replay';
import { parseQueueEvent } from '../../functions/executor/queue-event';
import { parseS3Event } from '../../functions/executor/s3-event';
import { identify } from '../../functions/executor/ingest';
import type { Replay, ReplayLog } from '../../functions/shared/replay';
import type { IngestionSummary } from '../../functions/shared/run-log';
import { landingFolderObject } from '../../local/client';
import { folderObject } from '../../local/landing-watcher';
import type { StackInfo } from '../../local/layout';

const DATASETS = ['dailycheckin', 'orders'];
const ask = (o: Partial<Parameters<typeof replayRequest>[0]> = {}) =>
  replayRequest({ dataset: 'dailycheckin', from: '2026-11-01', to: '2026-11-05', latest: false, reason: 'fixed the tz parser', ...o }, DATASETS);
const REPLAY_ID = '20261207T203000Z-0a1b2c3d';
const NOW = new Date('2026-12-07T20:30:00Z');

/** A summary as the executor records one for a landed key (with its execution input). */
function run(date: string, extra: Partial<IngestionSummary> & { version?: string | null; sequencer?: string; file?: string } = {}): IngestionSummary {
  const { version = `v-${date}`, sequencer = `00${date.replaceAll('-', '')}`, file = 'a.csv', ...rest } = extra;
  const key = `dailycheckin/${date}/${file}`;
  const id = `dailycheckin-${date.replaceAll('-', '')}-${(rest.receivedAt ?? '').length.toString(16).padStart(16, '0')}`;
  return {
    ingestionId: id,
    ingestedID: id,
    dataset: 'dailycheckin',
    businessDate: date,
    sourceUri: `s3://landing/${key}`,
    ...(version ? { sourceVersion: version } : {}),
    status: 'SUCCEEDED',
    state: 'DONE',
    attempt: 1,
    receivedAt: `${date}T07:00:00.000Z`,
    updatedAt: `${date}T07:05:00.000Z`,
    executionInput: JSON.stringify({
      ingestionId: id, dataset: 'dailycheckin', businessDate: date, attempt: 1,
      source: { bucket: 'landing', key, versionId: version, sequencer, uri: `s3://landing/${key}`, size: 100 },
      stagingUri: `s3://data/staging/dailycheckin/${id}`, qualityMode: 'soft',
    }),
    ...rest,
  };
}

/** The bucket: each key's versions, newest (latest) first. */
function bucket(objects: Record<string, Array<Partial<ObjectVersion> & { versionId: string }>>): ReplayPorts['versions'] {
  return async (_bucket, key) => (objects[key] ?? []).map((v, i) => ({ size: 100, eTag: `e-${v.versionId}`, isLatest: i === 0, deleteMarker: false, ...v }));
}

describe('the request', () => {
  test.each([
    [{ dataset: undefined }, 'replay needs --dataset NAME'],
    [{ dataset: 'nope' }, 'no dataset "nope"; known datasets: dailycheckin, orders'],
    [{ from: undefined }, 'replay needs --from YYYY-MM-DD'],
    [{ to: '2026-02-30' }, '--to must be a date YYYY-MM-DD, got "2026-02-30"'],
    [{ from: '11/01/2026' }, '--from must be a date YYYY-MM-DD, got "11/01/2026"'],
    [{ from: '2026-11-06' }, '--from 2026-11-06 is after --to 2026-11-05: the range is empty'],
    [{ reason: undefined }, 'replay needs --reason TEXT: why it is replayed (recorded with who asked)'],
    [{ reason: '   ' }, 'replay needs --reason TEXT: why it is replayed (recorded with who asked)'],
    [{ reason: 'x'.repeat(501) }, '--reason is 501 characters; at most 500'],
  ])('%# is refused with a message naming the problem', (o, message) => {
    expect(() => ask(o)).toThrow(new UsageError(message));
  });

  test('a dataset name with a terminal escape in it is shown escaped in the error', () => {
    expect(() => ask({ dataset: 'x\u001b[2Jy' })).toThrow('no dataset "x\\u{001b}[2Jy"');
  });

  test('asks for the recorded versions unless --latest', () => {
    expect(ask()).toEqual({ dataset: 'dailycheckin', from: '2026-11-01', to: '2026-11-05', versions: 'recorded', reason: 'fixed the tz parser' });
    expect(ask({ latest: true, reason: '  why  ' })).toMatchObject({ versions: 'latest', reason: 'why' });
  });
});

describe('the plan', () => {
  test('replays each dated file from the version it ingested, with its sequencer, under the ids the executor will give them', async () => {
    const runs = [run('2026-11-01'), run('2026-11-02')];
    const plan = await planReplay(ask(), REPLAY_ID, runs, bucket({ 'dailycheckin/2026-11-01/a.csv': [{ versionId: 'v-new' }, { versionId: 'v-2026-11-01' }], 'dailycheckin/2026-11-02/a.csv': [{ versionId: 'v-2026-11-02' }] }), NOW);
    expect(plan.replays.map((p) => [p.businessDate, p.replayOf, p.object.versionId, p.object.sequencer])).toEqual([
      ['2026-11-01', runs[0]!.ingestionId, 'v-2026-11-01', '0020261101'],
      ['2026-11-02', runs[1]!.ingestionId, 'v-2026-11-02', '0020261102'],
    ]);
    for (const p of plan.replays) {
      const [landed] = parseS3Event({ Records: [p.record] });
      expect(identify(landed!)!.ingestionId).toBe(p.ingestionId);
      expect(p.ingestionId).not.toBe(p.replayOf);
    }
    expect(plan.datesWithoutIngestion).toEqual(['2026-11-03..2026-11-05']);
    expect(plan.skipped).toEqual([]);
  });

  test("--latest replays each key's latest version, without the sequencer of an older one", async () => {
    const plan = await planReplay(ask({ latest: true }), REPLAY_ID, [run('2026-11-01')], bucket({ 'dailycheckin/2026-11-01/a.csv': [{ versionId: 'v-new', size: 7 }, { versionId: 'v-2026-11-01' }] }), NOW);
    expect(plan.replays.map((p) => p.object)).toEqual([{ bucket: 'landing', key: 'dailycheckin/2026-11-01/a.csv', versionId: 'v-new', eTag: 'e-v-new', size: 7, sequencer: undefined }]);
  });

  test('the newest ingestion of a key is replayed; a rejected-only key, a running one and a vanished version are listed with why', async () => {
    const older = run('2026-11-01', { receivedAt: '2026-11-01T07:00:00.000Z' });
    const newer = run('2026-11-01', { receivedAt: '2026-11-02T09:00:00.000Z', ingestionId: 'dailycheckin-20261101-ffffffffffffffff', version: 'v-second' });
    const rejected = run('2026-11-02', { status: 'REJECTED', file: 'b.txt', cause: 'dailycheckin/2026-11-02/b.txt is not a CSV', executionInput: undefined });
    const running = run('2026-11-03', { status: 'QUEUED' });
    const gone = run('2026-11-04');
    const plan = await planReplay(ask(), REPLAY_ID, [older, newer, rejected, running, gone], bucket({ 'dailycheckin/2026-11-01/a.csv': [{ versionId: 'v-second' }, { versionId: 'v-2026-11-01' }], 'dailycheckin/2026-11-04/a.csv': [{ versionId: 'v-other' }] }), NOW);
    expect(plan.replays.map((p) => p.replayOf)).toEqual(['dailycheckin-20261101-ffffffffffffffff']);
    expect(plan.skipped).toEqual([
      { businessDate: '2026-11-02', sourceUri: 's3://landing/dailycheckin/2026-11-02/b.txt', reason: 'every ingestion of it was rejected (dailycheckin/2026-11-02/b.txt is not a CSV)' },
      { businessDate: '2026-11-03', sourceUri: running.sourceUri, reason: `its ingestion ${running.ingestionId} is QUEUED: replay it once that has ended` },
      { businessDate: '2026-11-04', sourceUri: gone.sourceUri, reason: "version v-2026-11-04 is no longer in the bucket (--latest replays the key's latest version)" },
    ]);
    expect(plan.datesWithoutIngestion).toEqual(['2026-11-05']);
  });

  test('an ingestion of an unversioned bucket is replayed from the object as it is now', async () => {
    const plan = await planReplay(ask(), REPLAY_ID, [run('2026-11-01', { version: null })], async () => [{ eTag: 'e1', size: 9, isLatest: true, deleteMarker: false }], NOW);
    expect(plan.replays[0]!.object).toMatchObject({ versionId: undefined, eTag: 'e1', size: 9 });
  });

  test('a range with no ingestions, and one with nothing replayable, are errors naming the dataset and the dates', async () => {
    await expect(planReplay(ask(), REPLAY_ID, [], bucket({}), NOW)).rejects.toThrow(new ReplayPlanError('no ingestions of dailycheckin have business dates 2026-11-01 to 2026-11-05'));
    await expect(planReplay(ask(), REPLAY_ID, [run('2026-11-01', { status: 'RUNNING' })], bucket({}), NOW)).rejects.toThrow(
      /^nothing of dailycheckin with business dates 2026-11-01 to 2026-11-05 can be replayed: s3:\/\/landing\/dailycheckin\/2026-11-01\/a\.csv: its ingestion .* is RUNNING/,
    );
  });

  test('prints dates, keys, versions and counts, with a hostile reason escaped', async () => {
    const plan = await planReplay(ask({ reason: 'fix \u001b]0;pwned\u0007 \u202eevil' }), REPLAY_ID, [run('2026-11-01')], bucket({ 'dailycheckin/2026-11-01/a.csv': [{ versionId: 'v-2026-11-01' }] }), NOW);
    const text = formatPlan(plan);
    expect(text).toContain(`replay ${REPLAY_ID} of dailycheckin, business dates 2026-11-01 to 2026-11-05, the versions the runs ingested`);
    expect(text).toContain('reason: fix \\u{001b}]0;pwned\\u{0007} \\u{202e}evil');
    expect([...text].filter((c) => c === '\u001b' || c === '\u0007' || c === '\u202e')).toEqual([]);
    expect(text).toMatch(/2026-11-01 +s3:\/\/landing\/dailycheckin\/2026-11-01\/a\.csv +v-2026-11-01 +dailycheckin-20261101-\S+ +dailycheckin-20261101-/);
    expect(text).toContain('1 ingestion to replay, 0 not replayed');
  });
});

test('a replay is recorded (who, why, range, ingestions) before its messages are sent, and marked sent after', async () => {
  const events: string[] = [];
  let recorded: Replay | undefined;
  const replayLog = {
    record: async (r: Replay) => void (events.push('record'), (recorded = r)),
    markSent: async () => void events.push('sent'),
  } as unknown as ReplayLog;
  const bodies: string[] = [];
  const ports: ReplayPorts = { replayLog, versions: bucket({}), caller: async () => 'arn:aws:iam::123456789012:user/ana', send: async (b) => void (events.push('send'), bodies.push(...b)) };
  const plan = await planReplay(ask(), REPLAY_ID, [run('2026-11-01'), run('2026-11-02')], bucket({ 'dailycheckin/2026-11-01/a.csv': [{ versionId: 'v-2026-11-01' }], 'dailycheckin/2026-11-02/a.csv': [{ versionId: 'v-2026-11-02' }] }), NOW);
  const replay = await sendReplay(plan, ports, () => NOW);
  expect(events).toEqual(['record', 'send', 'sent']);
  expect(recorded).toMatchObject({ replayId: REPLAY_ID, dataset: 'dailycheckin', from: '2026-11-01', to: '2026-11-05', versions: 'recorded', requestedBy: 'arn:aws:iam::123456789012:user/ana', reason: 'fixed the tz parser' });
  expect(replay.ingestions).toEqual(plan.replays.map((p) => ({ ingestionId: p.ingestionId, replayOf: p.replayOf })));
  // What the executor reads off the queue: one message per object, each marked with the replay.
  const messages = parseQueueEvent({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body })) });
  expect(messages.map((m) => parseS3Event(m.notification)[0]!.replay)).toEqual(plan.replays.map((p) => ({ replayId: REPLAY_ID, replayOf: p.replayOf, businessDate: p.businessDate })));
});

test("folder mode: a landing file is its key's one version, the watcher's, and rewriting it leaves the recorded one gone", async () => {
  const folder = mkdtempSync(join(tmpdir(), 'replay-folder-'));
  const info = { landingFolder: folder, landingBucket: 'landing' } as StackInfo;
  const key = 'dailycheckin/2026-11-01/a.csv';
  mkdirSync(join(folder, 'dailycheckin/2026-11-01'), { recursive: true });
  writeFileSync(join(folder, key), 'user,timestamp,hours,project\n');
  utimesSync(join(folder, key), new Date('2026-11-01T07:00:00Z'), new Date('2026-11-01T07:00:00Z'));
  const first = await landingFolderObject(info, key);
  const watched = await folderObject('landing', { path: join(folder, key), key, size: statSync(join(folder, key)).size, mtimeMs: statSync(join(folder, key)).mtimeMs });
  expect(first).toEqual(watched);
  utimesSync(join(folder, key), new Date('2026-11-02T07:00:00Z'), new Date('2026-11-02T07:00:00Z'));
  expect((await landingFolderObject(info, key))!.versionId).not.toBe(first!.versionId);
  expect(await landingFolderObject(info, 'dailycheckin/none.csv')).toBeUndefined();
  rmSync(folder, { recursive: true });
});
