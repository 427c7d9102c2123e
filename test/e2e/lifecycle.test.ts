import { jest } from '@jest/globals';
import { newStackDir, spawnStack, startLocalStack } from '../support/local-stack';

jest.setTimeout(300_000);

test('one stack per data folder, and the data survives a restart', async () => {
  const dir = newStackDir();
  const first = await startLocalStack({ dir });
  const rows = async (apiUrl: string) => ((await (await fetch(`${apiUrl}/get?user=ana`)).json()) as { response: unknown[] }).response;
  const before = await rows(first.info.apiUrl);
  expect(before).toHaveLength(2);

  const second = spawnStack(dir);
  let stderr = '';
  second.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const secondExit = await new Promise<number | null>((resolve) => second.once('exit', resolve));
  expect(secondExit).toBe(1);
  expect(stderr).toMatch(/the local stack is already running \(pid \d+/);
  expect(await rows(first.info.apiUrl)).toEqual(before); // the running stack is untouched

  expect(await first.stop()).toBe(0);
  const restarted = await startLocalStack({ dir, waitForSample: false });
  try {
    expect(restarted.output()).not.toContain('first start');
    expect(await rows(restarted.info.apiUrl)).toEqual(before);
  } finally {
    expect(await restarted.stop()).toBe(0);
  }
});
