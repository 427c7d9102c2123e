import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Readable } from 'node:stream';
import type { Reachability } from '../checks/network/paths';
import { pipeline } from 'node:stream/promises';
import { credentialOf, operationOf, parseObject, permissionsFor, s3Operation, type AwsRequest, type Permission } from './aws-permissions';
import type { S3Object } from './landing-watcher';
import { freePort } from './ports';

/** The one AWS endpoint of the local stack (AWS_ENDPOINT_URL). Every principal signs with its own key id (the role's
 *  logical id); the gateway reads the principal and the service from the SigV4 credential scope, forwards the request
 *  unchanged to that service's local backend, streaming bodies both ways, and records each (action, resource) the
 *  request needs on AWS. Successful S3 writes are reported so the stack can raise ObjectCreated events. A principal
 *  that runs in a VPC on AWS reaches only the services its subnets have a path to: the others are refused as AWS
 *  would fail them, with a timeout, here at once and saying what is missing. */

export interface AwsCall {
  time: string;
  /** The access key id: a role's logical id, e.g. ExecutorRole. */
  principal: string;
  /** The SigV4 service name: s3, dynamodb, states, sns, secretsmanager, glue, … */
  service: string;
  action: string;
  resource: string;
  /** Request context keys a policy condition may test (`s3:prefix`). */
  context?: Record<string, string>;
  /** The backend's HTTP status (502: it did not answer); 'unrouted': no backend serves the service; 'failed': the
   *  client went away before its request was sent on; 'no-path': the principal would have no network path to the
   *  service on AWS. */
  status: number | 'unrouted' | 'failed' | 'no-path';
  /** The x-landing-etl-caller header, when the request had one. */
  caller?: string;
}

/** A successful write: the new object as an S3 event describes it (its sequencer grows with every write). */
export type S3WriteEvent = S3Object;

export interface AwsGatewayOptions {
  /** The base URL of the local server of each service, by SigV4 service name. */
  backends: Partial<Record<string, string>>;
  account: string;
  region: string;
  record(call: AwsCall): void;
  onS3Write?(event: S3WriteEvent): void | Promise<void>;
  log?(line: string): void;
  port?: number;
  /** What the principals that run in a VPC reach on AWS (checks/network/paths.ts, from the packaged template). */
  reachability?: Reachability;
}

export interface AwsGateway {
  endpoint: string;
  stop(): Promise<void>;
}

export const CALLER_HEADER = 'x-landing-etl-caller';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'expect', CALLER_HEADER]);
const S3_WRITES = new Set(['PutObject', 'CopyObject', 'CompleteMultipartUpload']);

export async function startAwsGateway(options: AwsGatewayOptions): Promise<AwsGateway> {
  const agent = new Agent({ keepAlive: true });
  const log = options.log ?? ((line: string) => console.error(line));
  // S3's sequencer grows with every write of a key, and the load orders versions by it. The time in front keeps it
  // growing across restarts of the stack, whose database keeps the sequencers its loads recorded.
  let sequence = 0;
  let lastMs = 0;
  const nextSequencer = () => {
    lastMs = Math.max(lastMs, Date.now());
    return `${lastMs.toString(16).padStart(12, '0')}${(++sequence).toString(16).padStart(8, '0')}`.toUpperCase();
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const time = new Date().toISOString();
    const caller = first(req.headers[CALLER_HEADER]);
    const credential = credentialOf({ url: req.url ?? '/', headers: req.headers });
    const principal = credential?.principal ?? 'anonymous';
    const service = credential?.service ?? 'unknown';
    const record = (permissions: Permission[], status: AwsCall['status']) => {
      for (const p of permissions) options.record({ time, principal, service, ...p, status, ...(caller ? { caller } : {}) });
    };
    const head: AwsRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };

    // On AWS the SDK's connection to a service with no path from the principal's subnets times out (after its
    // retries); the same error name here, at once, with what is missing in its message.
    const refusal = options.reachability?.refusal(principal, service);
    if (refusal) {
      // An S3 body is drained unread (it may be large); the others are read to know the target.
      const body = service === 's3' ? (req.resume(), undefined) : await readAll(req);
      record(permissionsFor(service, { ...head, ...(body ? { body: body.toString('utf8') } : {}) }, options), 'no-path');
      log(`aws-gateway: ${refusal}`);
      return sendError(res, head, 'TimeoutError', refusal, 504);
    }

    const backend = options.backends[service];
    if (!backend) {
      req.resume();
      const op = first(req.headers['x-amz-target'])?.split('.').pop() ?? 'Unknown';
      record([{ action: `${service}:${op}`, resource: '*' }], 'unrouted');
      return sendError(res, head, 'UnknownService', `the local AWS gateway serves no service "${service}" (key id ${principal})`);
    }

    // JSON and query-protocol bodies are small: read them to know the target. S3 bodies stream, but for DeleteObjects.
    const s3 = service === 's3' ? s3Operation(head) : undefined;
    const body = !s3 || s3.name === 'DeleteObjects' ? await readAll(req) : undefined;
    const request: AwsRequest = { ...head, ...(body ? { body: body.toString('utf8') } : {}) };
    const secretArns = service === 'secretsmanager' ? await resolveSecrets(backend, request) : new Map<string, string>();

    let upstream: IncomingMessage;
    try {
      upstream = await forward(backend, request, body ?? req);
    } catch (e) {
      record(permissionsFor(service, request, options, secretArns), req.complete ? 502 : 'failed');
      return sendError(res, head, 'BadGateway', `the local ${service} server did not answer: ${(e as Error).message}`, 502);
    }
    const status = upstream.statusCode ?? 502;
    const headers = withoutHopByHop(upstream.headers, ['transfer-encoding']);
    const operation = s3?.name ?? operationOf(request);
    // Records are made before the client has its answer, so a caller that has its answer finds its calls recorded.
    if (!(s3 && S3_WRITES.has(s3.name)) && operation !== 'CreateSecret') {
      record(permissionsFor(service, request, options, secretArns), status);
      res.writeHead(status, headers);
      return pipeline(upstream, res).catch(() => void res.destroy());
    }

    // The answers to writes are small (S3: empty or a short XML result; CreateSecret: the new ARN): read them whole,
    // and report a new S3 object before the writer hears it was written.
    const reply = await readAll(upstream);
    const created = operation === 'CreateSecret' && status < 300 ? (parseObject(reply.toString('utf8')) as { ARN?: string; Name?: string }) : {};
    if (created.ARN && created.Name) secretArns.set(created.Name, created.ARN);
    record(permissionsFor(service, request, options, secretArns), status);
    // CopyObject and CompleteMultipartUpload can fail with a 200 whose body is an <Error>.
    if (s3 && status < 300 && !reply.includes('<Error>') && options.onS3Write) {
      try {
        const event = await s3Written(backend, request, s3.name, upstream.headers, nextSequencer());
        Promise.resolve(options.onS3Write(event)).catch((e: Error) => log(`aws-gateway: onS3Write(${event.key}) failed: ${e.message}`));
      } catch (e) {
        log(`aws-gateway: the S3 write of ${request.url} could not be read back: ${(e as Error).message}`);
      }
    }
    res.writeHead(status, headers).end(reply);
  }

  /** Secrets Manager authorizes on the secret's ARN, which ends in a random suffix: ask the backend for the ARNs of
   *  secrets the request names by name. */
  async function resolveSecrets(backend: string, request: AwsRequest): Promise<Map<string, string>> {
    const arns = new Map<string, string>();
    if (operationOf(request) === 'CreateSecret') return arns; // its ARN comes with the answer
    const body = parseObject(request.body) as { SecretId?: unknown; SecretIdList?: unknown };
    const ids = [body.SecretId, ...(Array.isArray(body.SecretIdList) ? body.SecretIdList : [])];
    for (const id of ids) {
      if (typeof id !== 'string' || id.startsWith('arn:')) continue;
      const described = await exchange(backend, {
        method: 'POST',
        url: '/',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'secretsmanager.DescribeSecret',
          authorization: request.headers.authorization ?? '', // the backend reads the region from its scope
        },
        body: JSON.stringify({ SecretId: id }),
      });
      const arn = described.status === 200 ? (parseObject(described.text) as { ARN?: string }).ARN : undefined;
      if (arn) arns.set(id, arn);
    }
    return arns;
  }

  /** What an ObjectCreated event says of the object a successful write made: the PUT's own length and ETag, or, after
   *  a copy or a multipart upload, what a HeadObject of the new version says. */
  async function s3Written(
    backend: string,
    request: AwsRequest,
    operation: string,
    response: IncomingHttpHeaders,
    sequencer: string,
  ): Promise<S3WriteEvent> {
    const { bucket = '', key = '' } = s3Operation(request);
    const versionId = first(response['x-amz-version-id']);
    // An aws-chunked body's Content-Length counts the chunk framing too; the object's size is the decoded length.
    const chunked = /aws-chunked/.test(first(request.headers['content-encoding']) ?? '');
    let size = Number(first(request.headers['x-amz-decoded-content-length']) ?? (chunked ? NaN : first(request.headers['content-length'])));
    let eTag = first(response.etag);
    if (operation !== 'PutObject' || !Number.isFinite(size) || !eTag) {
      const path = new URL(request.url, 'http://gateway').pathname;
      const object = await exchange(backend, {
        method: 'HEAD',
        url: versionId ? `${path}?versionId=${encodeURIComponent(versionId)}` : path,
        headers: { authorization: request.headers.authorization ?? '' },
      });
      if (object.status !== 200) throw new Error(`HeadObject answered ${object.status}`);
      size = Number(first(object.headers['content-length']));
      eTag = first(object.headers.etag);
    }
    return { bucket, key, size, eTag: (eTag ?? '').replace(/"/g, ''), versionId, sequencer };
  }

  function forward(backend: string, request: AwsRequest, body: Buffer | Readable): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(target(backend, request.url), {
        method: request.method,
        headers: withoutHopByHop(request.headers),
        agent,
      });
      outgoing.once('response', resolve);
      outgoing.once('error', reject);
      if (Buffer.isBuffer(body)) outgoing.end(body);
      else pipeline(body, outgoing).catch((e: Error) => (outgoing.destroy(e), reject(e)));
    });
  }

  /** A small request of the gateway's own to a backend, read whole. */
  async function exchange(
    backend: string,
    request: { method: string; url: string; headers: OutgoingHttpHeaders; body?: string },
  ): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = httpRequest(target(backend, request.url), { method: request.method, headers: request.headers, agent });
      outgoing.once('response', resolve).once('error', reject).end(request.body);
    });
    return { status: response.statusCode ?? 0, headers: response.headers, text: (await readAll(response)).toString('utf8') };
  }

  // No request timeout: an upload of hundreds of MB may take longer than Node's default five minutes.
  const server: Server = createServer({ requestTimeout: 0 }, (req, res) => {
    handle(req, res).catch((e: Error) => {
      log(`aws-gateway: ${req.method} ${req.url}: ${e.stack ?? e.message}`);
      if (!res.headersSent) sendError(res, { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }, 'InternalError', e.message, 500);
      else res.destroy(e);
    });
  });
  // Idle keep-alive sockets stay open until their client closes them: a server that closes one after Node's default 5 s
  // races a client reusing it, and the call fails with ECONNRESET (it failed a stage of a backfill on a loaded machine).
  server.keepAliveTimeout = 0;
  const port = options.port ?? (await freePort());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

function target(backend: string, url: string): URL {
  const base = new URL(backend);
  return new URL(base.pathname.replace(/\/$/, '') + url, base);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function withoutHopByHop(headers: IncomingHttpHeaders, also: string[] = []): OutgoingHttpHeaders {
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !also.includes(name)) kept[name] = value;
  }
  return kept;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** An AWS-shaped error: JSON for JSON-protocol requests, XML otherwise. */
function sendError(res: ServerResponse, request: AwsRequest, code: string, message: string, status = 400): void {
  if (request.headers['x-amz-target']) {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ __type: code, message }));
    return;
  }
  const escaped = message.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escaped}</Message></Error>`);
}
