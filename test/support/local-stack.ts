import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { StackInfo } from '../../local/layout';

const repo = process.cwd();

export interface RunningStack {
  dir: string;
  info: StackInfo;
  output(): string;
  stop(): Promise<number | null>;
}

/** A fresh data folder for a local stack. */
export function newStackDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'landing-etl-test-'));
  chmodSync(dir, 0o755); // the embedded PostgreSQL runs as the 'postgres' user, which must reach its data folder
  return dir;
}

/** Starts `npm start`'s entry point in its own data folder on free ports and waits until it is serving. */
export async function startLocalStack(
  opts: { dir?: string; waitForSample?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
) {
  const dir = opts.dir ?? newStackDir();
  let output = '';
  const child = spawnStack(dir, opts.env);
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  const done = () => (opts.waitForSample ?? true ? /sample (loaded|did not load)/.test(output) : existsSync(join(dir, 'stack.json')));
  while (!done()) {
    if (child.exitCode !== null) throw new Error(`local stack exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`local stack not ready within the deadline:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const info = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as StackInfo;
  return {
    dir,
    info,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  } satisfies RunningStack;
}

/** `npm start`'s entry point on free ports in `dir`; the AWS calls it records name the test that started it. */
export function spawnStack(dir: string, env?: NodeJS.ProcessEnv): ChildProcess {
  // Under jest, the test file that started it (the benchmarks use this helper too, outside jest).
  const jestExpect = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect;
  const test = relative(repo, jestExpect?.getState().testPath ?? '');
  // The tests' Spark drivers run C1 only: their files are small, and three runs of the sample's transform and test
  // stages in a fresh driver took 37.6 s of JVM CPU against 67.4 s with C2. The benchmarks keep C2.
  const c1 = test ? { LANDING_ETL_SPARK_JAVA_OPTIONS: process.env.LANDING_ETL_SPARK_JAVA_OPTIONS ?? '-XX:TieredStopAtLevel=1' } : {};
  return spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: repo,
    // No schedules unless a test asks (LOCAL_SCHEDULE_EVERY_MS): a freshness check in the middle of a test that is not
    // about it would add its alerts to the notifications the test reads.
    env: { ...process.env, ...c1, LOCAL_DIR: dir, PORT: '0', LOCAL_PG_PORT: '0', LOCAL_POLL_MS: '250', LOCAL_SCHEDULE_EVERY_MS: '0', LANDING_ETL_TEST: test, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the landing-etl CLI against the stack in `dir`, with `env` added to its environment. */
export function cli(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repo, 'bin', 'landing-etl.js'), ...args], {
      cwd: repo,
      env: { ...process.env, ...env, LOCAL_DIR: dir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
