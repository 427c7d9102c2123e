import { readFileSync } from 'node:fs';
import { paths, type StackInfo } from '../local/layout';

export class StackNotRunningError extends Error {
  override name = 'StackNotRunningError';
}

/** The running local stack, as described by the .local/stack.json that `npm start` writes. */
export function runningStack(): StackInfo {
  let info: StackInfo;
  try {
    info = JSON.parse(readFileSync(paths.stackFile, 'utf8')) as StackInfo;
  } catch {
    throw new StackNotRunningError(`the local stack is not running (no ${paths.stackFile}): start it with npm start`);
  }
  try {
    process.kill(info.pid, 0);
  } catch {
    throw new StackNotRunningError(`the local stack is not running (pid ${info.pid} has exited): start it with npm start`);
  }
  return info;
}
