import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';

export class StackAlreadyRunning extends Error {
  override name = 'StackAlreadyRunning';
}

/** A lock with no pid in it younger than this is one another start is taking right now. The lock is written whole
 *  (below), so only an older version of this code, or a crash mid-write of one, leaves it empty. */
const WRITING_GRACE_MS = 10_000;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The lock's content and age, or undefined when it is gone. */
function readLock(file: string): { content: string; ageMs: number } | undefined {
  try {
    return { content: readFileSync(file, 'utf8'), ageMs: Date.now() - statSync(file).mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** One local stack per data folder: a second start fails instead of sharing (and corrupting) its databases.
 *  The lock appears with the pid already in it: the pid is written to a file of our own, which is then hard-linked
 *  to the lock's name (link fails if the name exists), so no start ever sees a lock without its owner. A lock whose
 *  owner no longer exists is taken over. */
export function acquireLock(file: string): () => void {
  const pid = String(process.pid);
  const mine = `${file}.${pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(mine, pid);
  try {
    for (;;) {
      try {
        linkSync(mine, file);
        return () => {
          if (readLock(file)?.content === pid) rmSync(file, { force: true });
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const held = readLock(file);
      if (!held) continue;
      const owner = /^\d+$/.test(held.content) ? Number(held.content) : undefined;
      if (owner !== undefined ? alive(owner) : held.ageMs < WRITING_GRACE_MS) {
        const who = owner !== undefined ? `pid ${owner}` : 'another start is taking it';
        throw new StackAlreadyRunning(`the local stack is already running (${who}, lock ${file}); stop it with Ctrl-C first`);
      }
      removeStale(file, held.content);
    }
  } finally {
    rmSync(mine, { force: true });
  }
}

/** Removes the stale lock, and only it: the lock is moved aside under a name of our own (of two starts, one moves
 *  it; the other finds it gone), and if what was moved is no longer the stale content (another start took the lock
 *  in between), it is linked back. Then every start contends again through the link. */
function removeStale(file: string, staleContent: string): void {
  const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    if (readFileSync(aside, 'utf8') !== staleContent) linkSync(aside, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(aside, { force: true });
  }
}
