import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, StackAlreadyRunning } from '../../local/lock';

const lockIn = () => join(mkdtempSync(join(tmpdir(), 'landing-etl-lock-')), 'stack.lock');

/** A pid no process has: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

test('the lock holds the pid of the process that took it, and releasing it removes it', () => {
  const file = lockIn();
  const release = acquireLock(file);
  expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
  expect(() => acquireLock(file)).toThrow(StackAlreadyRunning);
  release();
  expect(existsSync(file)).toBe(false);
});

test('a lock another start has created but not yet written its pid into is not taken over', () => {
  // What a second start saw between the first one's create and its write: an empty file.
  const file = lockIn();
  writeFileSync(file, '');
  expect(() => acquireLock(file)).toThrow(StackAlreadyRunning);
  expect(readFileSync(file, 'utf8')).toBe('');
});

test('a lock left by a process that no longer exists is taken over', async () => {
  const file = lockIn();
  writeFileSync(file, String(await deadPid()));
  const release = acquireLock(file);
  expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
  release();
});

test('an empty lock older than any start could leave it (a crash between create and write) is taken over', () => {
  const file = lockIn();
  writeFileSync(file, '');
  const old = new Date(Date.now() - 60_000);
  utimesSync(file, old, old);
  const release = acquireLock(file);
  expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
  release();
});

test('of several starts racing for a stale lock, exactly one gets it', async () => {
  const file = lockIn();
  writeFileSync(file, String(await deadPid()));
  // Each contender says whether it got the lock; the one that did holds it until every contender has answered.
  const contender = `
    import { acquireLock } from ${JSON.stringify(join(process.cwd(), 'local', 'lock.ts'))};
    try { const release = acquireLock(${JSON.stringify(file)}); console.log('got'); process.stdin.on('end', release).resume(); }
    catch (e) { console.log(e.name); }`;
  const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', contender]));
  const outputs = await Promise.all(
    children.map((child) => {
      let out = '';
      return new Promise<string>((resolve) =>
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.trim());
        }),
      );
    }),
  );
  for (const child of children) child.stdin!.end();
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
  expect(outputs.filter((o) => o === 'got')).toHaveLength(1);
  expect(outputs.filter((o) => o !== 'got')).toEqual(Array(5).fill('StackAlreadyRunning'));
}, 60_000);
