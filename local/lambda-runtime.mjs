// The local stand-in for the Node.js Lambda runtime: one process per function, started with only the environment the
// template gives that function (plus what Lambda itself sets), in the function's unzipped package as its working
// directory (/var/task on AWS). It imports the packaged handler the way the nodejs22.x runtime imports a `.mjs`
// handler, as an ES module with no CommonJS `require` in scope, so a bundle that cannot load on AWS cannot load here.
// Invocations arrive over IPC; like a function with many execution environments, several may be in flight at once.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Buffer } from 'node:buffer';

const { LAMBDA_TASK_ROOT: root, _HANDLER: handlerSpec, AWS_LAMBDA_FUNCTION_NAME: functionName } = process.env;
const dot = handlerSpec.lastIndexOf('.');
const send = (message) => process.send(message);

let handler;
try {
  const module = await import(pathToFileURL(join(root, `${handlerSpec.slice(0, dot)}.mjs`)).href);
  handler = module[handlerSpec.slice(dot + 1)];
  if (typeof handler !== 'function') throw new Error(`${handlerSpec} is not a function exported by the bundle`);
  send({ ready: true });
} catch (e) {
  // Lambda reports this as Runtime.ImportModuleError / Runtime.HandlerNotFound on every invocation.
  send({ initError: { name: e.name, message: e.message, stack: e.stack } });
  process.exit(1);
}

process.on('message', async ({ id, event, timeoutMs, responseLimitBytes }) => {
  const deadline = Date.now() + timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: process.env.LOCAL_FUNCTION_ARN,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: randomUUID(),
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = (await handler(event, context)) ?? null;
    // Lambda measures the serialized response against the invocation payload quota (local/lambdas.ts).
    if (Buffer.byteLength(JSON.stringify(result)) > responseLimitBytes) {
      const message = `Response payload size exceeded maximum allowed payload size (${responseLimitBytes} bytes).`;
      return send({ id, error: { name: 'Function.ResponseSizeTooLarge', message } });
    }
    send({ id, result });
  } catch (e) {
    send({ id, error: { name: e?.name ?? 'Error', message: e?.message ?? String(e), stack: e?.stack } });
  }
});
