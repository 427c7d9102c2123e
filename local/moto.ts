import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './layout';
import { freePort } from './ports';

export interface LocalMoto {
  endpoint: string;
  stop(): Promise<void>;
}

/** moto's server (from .venv), the local S3 and Secrets Manager, in memory, its ARNs in the local account. Fails with
 *  its output when it does not answer within `timeoutMs`. */
export async function startMoto(options: { account: string; log?: (output: string) => void; timeoutMs?: number }): Promise<LocalMoto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(join(repoRoot, '.venv', 'bin', 'python'), [join(repoRoot, 'local', 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_ACCOUNT_ID: options.account },
    // Its own process group: a Ctrl-C in the terminal reaches the stack, which then stops moto in order.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-8_000);
    options.log?.(text);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto_server exited (${child.signalCode ?? `code ${child.exitCode}`}) before answering:\n${output}`);
    }
    if (await answers(`${endpoint}/moto-api/`)) return { endpoint, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(1_000) })).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
