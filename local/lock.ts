import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

export class StackAlreadyRunning extends Error {
  override name = 'StackAlreadyRunning';
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** One local stack per data folder: a second start fails instead of sharing (and corrupting) its databases.
 *  A lock left by a process that no longer exists is taken over. */
export function acquireLock(file: string): () => void {
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid && alive(pid)) {
        throw new StackAlreadyRunning(`the local stack is already running (pid ${pid}, lock ${file}); stop it with Ctrl-C first`);
      }
      rmSync(file, { force: true });
    }
  }
}
