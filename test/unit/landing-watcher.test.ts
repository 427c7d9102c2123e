import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LandingWatcher, type LandedFile } from '../../local/landing-watcher';

/** A watcher over `folder` that records what it announces; `settled` resolves once `keys` are all announced. */
function watch(folder: string, memoryFile?: string) {
  const announced: string[] = [];
  const watcher = new LandingWatcher(folder, async (f: LandedFile) => void announced.push(f.key), { settleMs: 50, ...(memoryFile ? { memoryFile } : {}) });
  watcher.start(20);
  return { announced, stop: () => watcher.stop() };
}

/** Enough scans for any complete file to have been announced (settle 50 ms, a scan every 20 ms). */
const quiet = () => new Promise((r) => setTimeout(r, 400));

function put(folder: string, key: string, body: string, mtime?: Date) {
  const path = join(folder, key);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, body);
  if (mtime) utimesSync(path, mtime, mtime);
}

test('after a restart, only the files that are new or changed since are announced', async () => {
  const root = mkdtempSync(join(tmpdir(), 'landing-etl-watch-'));
  const folder = join(root, 'landing');
  const memory = join(root, 'landing-announced.jsonl');
  put(folder, 'dailycheckin/a.csv', 'a', new Date('2026-01-01T00:00:00Z'));
  put(folder, 'dailycheckin/b.csv', 'b', new Date('2026-01-01T00:00:00Z'));

  const first = watch(folder, memory);
  await quiet();
  await first.stop();
  expect(first.announced.sort()).toEqual(['dailycheckin/a.csv', 'dailycheckin/b.csv']);

  // While the stack is down: a changes, c arrives, b stays as it was.
  put(folder, 'dailycheckin/a.csv', 'a, second version', new Date('2026-01-02T00:00:00Z'));
  put(folder, 'dailycheckin/c.csv', 'c');
  const second = watch(folder, memory);
  await quiet();
  expect(second.announced.sort()).toEqual(['dailycheckin/a.csv', 'dailycheckin/c.csv']);
  put(folder, 'dailycheckin/d.csv', 'd');
  await quiet();
  await second.stop();
  expect(second.announced.sort()).toEqual(['dailycheckin/a.csv', 'dailycheckin/c.csv', 'dailycheckin/d.csv']);

  const third = watch(folder, memory);
  await quiet();
  await third.stop();
  expect(third.announced).toEqual([]);
});

test('without a memory (API mode, where an announced file is uploaded and removed), what is there at start is announced', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'landing-etl-watch-'));
  put(folder, 'dailycheckin/left.csv', 'not uploaded before the stop');
  put(folder, 'dailycheckin/.left.csv.part', 'being copied');
  for (let start = 0; start < 2; start++) {
    const w = watch(folder);
    await quiet();
    await w.stop();
    expect(w.announced).toEqual(['dailycheckin/left.csv']);
  }
});
