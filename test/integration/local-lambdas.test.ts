import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LambdaFunction } from '../../local/deployment';
import { startHttpApi, type HttpHandler } from '../../local/http-api';
import { LAMBDA_RESPONSE_LIMIT_BYTES, LocalLambdas } from '../../local/lambdas';

/** The local Lambda runtime on hand-made packages: what the nodejs22.x runtime does with an .mjs handler. */

const dir = mkdtempSync(join(tmpdir(), 'landing-etl-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A zip with functions/f/handler.mjs holding `source`, as `sls package` lays a function out. */
function packaged(name: string, source: string, environment: Record<string, string> = {}): LambdaFunction {
  const root = join(dir, `${name}-src`);
  mkdirSync(join(root, 'functions', 'f'), { recursive: true });
  writeFileSync(join(root, 'functions', 'f', 'handler.mjs'), source);
  const zip = join(dir, `${name}.zip`);
  execFileSync('python3', ['-m', 'zipfile', '-c', zip, join(root, 'functions')]);
  return { logicalId: name, name, zip, handlerModule: 'functions/f/handler.mjs', handlerExport: 'handler', environment, role: 'SomeRole', timeoutSeconds: 2, memoryMb: 128 };
}

test('imports the handler as an ES module with no CommonJS require, in the package root, with only its environment', async () => {
  const fn = packaged(
    'probe',
    `export const handler = async (event, context) => ({ event, require: typeof require, cwdHasFunctions: process.cwd().endsWith('probe'),
       table: process.env.TABLE, leaked: process.env.JEST_WORKER_ID ?? null, name: context.functionName, left: context.getRemainingTimeInMillis() > 0 });`,
    { TABLE: 'runlog' },
  );
  const lambdas = new LocalLambdas([fn], dir, () => ({ AWS_REGION: 'us-east-1' }), () => {});
  try {
    expect(await lambdas.invoke(fn, { hello: 1 })).toEqual({
      event: { hello: 1 },
      require: 'undefined',
      cwdHasFunctions: true,
      table: 'runlog',
      leaked: null,
      name: 'probe',
      left: true,
    });
  } finally {
    await lambdas.stop();
  }
});

test('a bundle that cannot load fails with Runtime.ImportModuleError naming the cause', async () => {
  const fn = packaged('broken', `const https = require('node:https'); export const handler = async () => https;`);
  const lambdas = new LocalLambdas([fn], dir, () => ({}), () => {});
  await expect(lambdas.start()).rejects.toMatchObject({ name: 'Runtime.ImportModuleError', message: expect.stringMatching(/require is not defined/) });
  await lambdas.stop();
});

test('an environment that exits fails its invocation with Runtime.ExitError; the next invocation gets a new one', async () => {
  const fn = packaged('exits', `export const handler = async (event) => { if (event.exit) process.exit(3); return process.pid; };`);
  const lambdas = new LocalLambdas([fn], dir, () => ({}), () => {});
  try {
    const first = await lambdas.invoke(fn, {});
    await expect(lambdas.invoke(fn, { exit: true })).rejects.toMatchObject({ name: 'Runtime.ExitError' });
    const second = await lambdas.invoke(fn, {});
    expect(second).not.toBe(first);
  } finally {
    await lambdas.stop();
  }
});

test('a handler error reaches the caller with its name; a handler past its timeout is Sandbox.Timedout', async () => {
  const fn = packaged('errs', `export const handler = async (event) => { if (event.wait) return new Promise(() => {}); const e = new Error('no'); e.name = 'LandedObjectsFailedError'; throw e; };`);
  const lambdas = new LocalLambdas([fn], dir, () => ({}), () => {});
  try {
    await expect(lambdas.invoke(fn, {})).rejects.toMatchObject({ name: 'LandedObjectsFailedError', message: 'no' });
    await expect(lambdas.invoke(fn, { wait: true })).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
  } finally {
    await lambdas.stop();
  }
});

test('a response over Lambda\'s 6 MB is Function.ResponseSizeTooLarge, which the HTTP API answers with a 500', async () => {
  // The payload Lambda measures is the serialized response: a string of n characters is n + 2 bytes of JSON.
  const fn = packaged('large', `export const handler = async (event) => 'x'.repeat(event.n);`);
  const lambdas = new LocalLambdas([fn], dir, () => ({}), () => {});
  const api = await startHttpApi([{ routeKey: 'GET /large', handler: (() => lambdas.invoke(fn, { n: LAMBDA_RESPONSE_LIMIT_BYTES })) as HttpHandler }], 0, () => true);
  try {
    expect(LAMBDA_RESPONSE_LIMIT_BYTES).toBe(6_291_556);
    expect(await lambdas.invoke(fn, { n: LAMBDA_RESPONSE_LIMIT_BYTES - 2 })).toHaveLength(LAMBDA_RESPONSE_LIMIT_BYTES - 2);
    await expect(lambdas.invoke(fn, { n: LAMBDA_RESPONSE_LIMIT_BYTES - 1 })).rejects.toMatchObject({
      name: 'Function.ResponseSizeTooLarge',
      message: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
    });
    const res = await fetch(`${api.url}/large`);
    expect([res.status, await res.text()]).toEqual([500, '{"message":"Internal Server Error"}']);
  } finally {
    await api.stop();
    await lambdas.stop();
  }
});

test('a smaller response limit, for tests, is enforced the same way', async () => {
  const fn = packaged('small', `export const handler = async () => ({ body: 'x'.repeat(100) });`);
  const lambdas = new LocalLambdas([fn], dir, () => ({}), () => {}, { responseLimitBytes: 50 });
  try {
    await expect(lambdas.invoke(fn, {})).rejects.toMatchObject({ name: 'Function.ResponseSizeTooLarge', message: expect.stringContaining('(50 bytes)') });
  } finally {
    await lambdas.stop();
  }
});
