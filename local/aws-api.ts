import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { JobRun } from './glue/model';
import { freePort } from './ports';
import type { LocalStepFunctions } from './stepfunctions';
import type { Execution } from './stepfunctions-executions';
import type { GlueApi } from './stepfunctions-tasks';

/** A message published to SNS, as the local stack records it (.local/notifications.jsonl). */
export interface Notification {
  time: string;
  topicArn: string;
  subject?: string;
  message: string;
}

/** What the endpoint serves of the local Step Functions. */
export type StepFunctionsApi = Pick<LocalStepFunctions, 'startExecution' | 'describeExecution' | 'stopExecution'>;

/** One loopback endpoint that speaks the AWS APIs of the local stand-ins: Step Functions (JSON 1.0:
 *  StartExecution, DescribeExecution, StopExecution), Glue (JSON 1.1: StartJobRun, GetJobRun, BatchStopJobRun) and SNS (Query: Publish). Callers use
 *  the real @aws-sdk clients, through the local AWS gateway (local/aws-gateway.ts) that routes here. */
export async function startAwsApi(
  stepFunctions: StepFunctionsApi,
  glue: GlueApi,
  onNotification: (n: Notification) => void,
  port?: number,
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void readBody(req)
      .then((body) => {
        const target = req.headers['x-amz-target'];
        if (typeof target === 'string' && target.startsWith('AWSStepFunctions.')) {
          return sfn(stepFunctions, target.slice('AWSStepFunctions.'.length), JSON.parse(body || '{}'), res);
        }
        if (typeof target === 'string' && target.startsWith('AWSGlue.')) {
          return glueApi(glue, target.slice('AWSGlue.'.length), JSON.parse(body || '{}'), res);
        }
        return sns(new URLSearchParams(body), res, onNotification);
      })
      .catch((e: Error) => send(res, 500, 'application/json', JSON.stringify({ __type: 'InternalError', message: e.message })));
  });
  // As the gateway's: idle keep-alive sockets are closed by their client only (no ECONNRESET race).
  server.keepAliveTimeout = 0;
  const bound = port ?? (await freePort());
  await new Promise<void>((resolve) => server.listen(bound, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    stop: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

async function sfn(local: StepFunctionsApi, action: string, body: Record<string, string>, res: ServerResponse) {
  const reply = (status: number, payload: unknown) =>
    send(res, status, 'application/x-amz-json-1.0', JSON.stringify(payload));
  try {
    if (action === 'StartExecution') {
      const execution = await local.startExecution(body.name ?? randomUUID(), body.input ?? '{}');
      return reply(200, { executionArn: execution.executionArn, startDate: epoch(execution.startDate) });
    }
    if (action === 'DescribeExecution') return reply(200, describe(local.describeExecution(body.executionArn ?? '')));
    if (action === 'StopExecution') return reply(200, { stopDate: epoch((await local.stopExecution(body.executionArn ?? '', body.error, body.cause)).stopDate) });
    return reply(400, { __type: 'UnknownOperationException', message: `local stack does not implement ${action}` });
  } catch (e) {
    const error = e as Error;
    return reply(400, { __type: error.name, message: error.message });
  }
}

const epoch = (iso: string) => Date.parse(iso) / 1000;

/** The fields a Glue request of the three operations may carry (unchecked: the SDK client built it). */
type GlueRequest = { JobName: string; RunId: string; JobRunIds: string[]; Arguments?: Record<string, string>; JobRunQueuingEnabled?: boolean };

async function glueApi(glue: GlueApi, action: string, body: GlueRequest, res: ServerResponse) {
  const reply = (status: number, payload: unknown) => send(res, status, 'application/x-amz-json-1.1', JSON.stringify(payload));
  try {
    if (action === 'StartJobRun') return reply(200, await glue.startJobRun(body));
    if (action === 'GetJobRun') return reply(200, { JobRun: jobRunOnTheWire((await glue.getJobRun(body)).JobRun) });
    if (action === 'BatchStopJobRun') return reply(200, await glue.batchStopJobRun(body));
    return reply(400, { __type: 'UnknownOperationException', message: `local stack does not implement ${action}` });
  } catch (e) {
    const error = e as Error;
    return reply(400, { __type: error.name.replace(/^Glue\./, ''), message: error.message });
  }
}

/** JSON-protocol timestamps are epoch seconds. */
const jobRunOnTheWire = (run: JobRun) => ({
  ...run,
  StartedOn: epoch(run.StartedOn),
  ...(run.LastModifiedOn ? { LastModifiedOn: epoch(run.LastModifiedOn) } : {}),
  ...(run.CompletedOn ? { CompletedOn: epoch(run.CompletedOn) } : {}),
});

function describe(e: Execution) {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: epoch(e.startDate),
    ...(e.stopDate ? { stopDate: epoch(e.stopDate) } : {}),
    input: e.input,
    ...(e.output ? { output: e.output } : {}),
    ...(e.error ? { error: e.error } : {}),
    ...(e.cause ? { cause: e.cause } : {}),
  };
}

function sns(params: URLSearchParams, res: ServerResponse, onNotification: (n: Notification) => void) {
  if (params.get('Action') !== 'Publish') {
    return send(res, 400, 'text/xml', errorXml('InvalidAction', `local stack does not implement ${params.get('Action')}`));
  }
  const subject = params.get('Subject');
  // SNS's own rule: a subject is under 100 printable ASCII characters without line breaks, else InvalidParameter.
  if (subject !== null && !/^[\x20-\x7e]{1,99}$/.test(subject)) {
    return send(res, 400, 'text/xml', errorXml('InvalidParameter', `Invalid parameter: Subject (${subject.length} characters): ${subject}`));
  }
  onNotification({
    time: new Date().toISOString(),
    topicArn: params.get('TopicArn') ?? '',
    ...(subject ? { subject } : {}),
    message: params.get('Message') ?? '',
  });
  const id = randomUUID();
  return send(
    res,
    200,
    'text/xml',
    `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${id}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
  );
}

const errorXml = (code: string, message: string) =>
  `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;

function send(res: ServerResponse, status: number, contentType: string, body: string) {
  res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': randomUUID() });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
