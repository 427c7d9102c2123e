import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLogFor } from '../../local/client';
import { land, waitForIngestion } from '../support/landing';
import { newStackDir, spawnStack, startLocalStack } from '../support/local-stack';
import type { StackInfo } from '../../local/layout';
import { apiJson } from '../support/api';

jest.setTimeout(300_000);

test('one stack per data folder, and the data survives a restart that announces no landed file again', async () => {
  const dir = newStackDir();
  const first = await startLocalStack({ dir });
  const rows = async (info: StackInfo) => (await apiJson<{ response: unknown[] }>(info, '/get?user=ana')).body.response;
  const before = await rows(first.info);
  expect(before).toHaveLength(2);

  const second = spawnStack(dir);
  let stderr = '';
  second.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const secondExit = await new Promise<number | null>((resolve) => second.once('exit', resolve));
  expect(secondExit).toBe(1);
  expect(stderr).toMatch(/the local stack is already running \(pid \d+/);
  expect(await rows(first.info)).toEqual(before); // the running stack is untouched

  expect(await first.stop()).toBe(0);
  const restarted = await startLocalStack({ dir, waitForSample: false });
  try {
    expect(restarted.output()).not.toContain('first start');
    expect(await rows(restarted.info)).toEqual(before);
    // Files landed after the restart are announced after every file that was there at start would have been: the
    // second probe is first seen by a scan that starts after the one that announced the first (scans take turns), so
    // once its ingestion is recorded the sample's would carry a duplicate had the restart announced it again.
    const runLog = runLogFor(restarted.info);
    for (const key of ['dailycheckin/probe-1.txt', 'dailycheckin/probe-2.txt']) {
      const since = new Date().toISOString();
      const probe = land(restarted.info, key, 'not a csv');
      expect((await waitForIngestion(runLog, probe, since, undefined, 60_000)).status).toBe('REJECTED');
    }
    const sampleId = readFileSync(join(dir, 'sample-ingested'), 'utf8').trim();
    expect((await runLog.getSummary(sampleId))?.duplicates ?? 0).toBe(0);
  } finally {
    expect(await restarted.stop()).toBe(0);
  }
});
