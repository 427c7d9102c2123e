// Entry of scripts/smoke-aws.sh: the smoke test (scripts/smoke-aws-lib.ts) with the real `aws`, `npx` and HTTP.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EXIT, smoke, type Ports } from './smoke-aws-lib';

const ports: Ports = {
  run: (command, args) =>
    new Promise((resolve) => {
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', (e) => resolve({ code: 127, stdout, stderr: `${command}: ${e.message}` }));
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    }),
  async get(url, headers) {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
    return { status: response.status, body: await response.text() };
  },
  now: () => new Date(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  nonce: () => randomBytes(3).toString('hex'),
  out: (line) => console.log(line),
  env: process.env,
};

smoke(process.argv.slice(2), ports).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.log(`FAIL: could not run the smoke test: ${e.message}`);
    process.exit(EXIT.error);
  },
);
