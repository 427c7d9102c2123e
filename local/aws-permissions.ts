import type { IncomingHttpHeaders } from 'node:http';

/** What one AWS API request needs from IAM: the (action, resource) pairs the caller's policy must allow, read from
 *  the request alone (pure: no I/O). The gateway (aws-gateway.ts) records them per principal.
 *
 *  The mapping follows the Service Authorization Reference ("Actions, resources, and condition keys for <service>",
 *  https://docs.aws.amazon.com/service-authorization/latest/reference/ — list_amazons3.html, list_amazondynamodb.html,
 *  list_awsstepfunctions.html, list_amazonsns.html, list_awssecretsmanager.html, list_awsglue.html,
 *  list_amazoncognitouserpools.html, list_awscloudformation.html), the S3 User
 *  Guide's "Required permissions for Amazon S3 API operations" (using-with-s3-policy-actions.html) and the DynamoDB
 *  Developer Guide's "Using IAM with DynamoDB transactions" (transaction-apis-iam.html). test/unit/aws-permissions
 *  checks every pair against @cloud-copilot/iam-simulate, whose data is that reference. */

export interface Permission {
  action: string;
  resource: string;
  /** Request context keys a policy condition may test, e.g. `s3:prefix` of a listing. */
  context?: Record<string, string>;
}

export interface Scope {
  account: string;
  region: string;
}

export interface AwsRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The body of a JSON or query-protocol request, or of S3 DeleteObjects; never an S3 object's bytes. */
  body?: string;
}

/** Who signed the request and for which service: the SigV4 credential scope of the Authorization header, or of the
 *  X-Amz-Credential parameter of a presigned URL. */
export function credentialOf(request: Pick<AwsRequest, 'url' | 'headers'>): { principal: string; service: string } | undefined {
  const header = request.headers.authorization;
  const fromHeader = typeof header === 'string' ? /Credential=([^,\s]+)/.exec(header)?.[1] : undefined;
  const scope = fromHeader ?? new URL(request.url, 'http://gateway').searchParams.get('X-Amz-Credential');
  const [principal, , , service] = scope?.split('/') ?? [];
  return principal && service ? { principal, service } : undefined;
}

/** The operation name of a JSON-protocol (X-Amz-Target: Prefix.Op) or query-protocol (Action=Op) request. */
export function operationOf(request: AwsRequest): string | undefined {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  return new URLSearchParams(request.body ?? '').get('Action') ?? undefined;
}

/** The (action, resource) pairs, one per distinct pair, that `request` to `service` needs. Secrets named by name are
 *  looked up in `secretArns` (Secrets Manager ARNs end in a random suffix the name does not tell). */
export function permissionsFor(
  service: string,
  request: AwsRequest,
  scope: Scope,
  secretArns: ReadonlyMap<string, string> = new Map(),
): Permission[] {
  const pairs =
    service === 's3'
      ? s3Operation(request).permissions
      : service === 'sns'
        ? snsPermissions(request, scope)
        : service === 'cloudformation'
          ? cloudFormationPermissions(request, scope)
          : jsonPermissions(service, operationOf(request) ?? 'Unknown', parseObject(request.body), scope, secretArns);
  const distinct = new Map(pairs.map((p) => [`${p.action} ${p.resource}`, p]));
  return [...distinct.values()];
}

type Json = Record<string, unknown>;

/** A JSON object body, or {} when it is none. */
export function parseObject(body: string | undefined): Json {
  try {
    const value: unknown = JSON.parse(body || '{}');
    return value && typeof value === 'object' ? (value as Json) : {};
  } catch {
    return {};
  }
}

const str = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
const arnOrName = (value: unknown, arn: (name: string) => string) => {
  const s = str(value);
  return s === undefined ? '*' : s.startsWith('arn:') ? s : arn(s);
};

function jsonPermissions(service: string, op: string, body: Json, scope: Scope, secretArns: ReadonlyMap<string, string>): Permission[] {
  const { account, region } = scope;
  const one = (resource: string) => [{ action: `${service}:${op}`, resource }];
  switch (service) {
    case 'dynamodb': {
      const table = (name: unknown) => arnOrName(name, (n) => `arn:aws:dynamodb:${region}:${account}:table/${n}`);
      if (op === 'BatchGetItem' || op === 'BatchWriteItem') {
        return Object.keys((body.RequestItems as Json | undefined) ?? {}).map((t) => ({ action: `dynamodb:${op}`, resource: table(t) }));
      }
      if (op === 'TransactWriteItems' || op === 'TransactGetItems') {
        const items = Array.isArray(body.TransactItems) ? (body.TransactItems as Json[]) : [];
        return items.flatMap((item) =>
          Object.entries(item).map(([kind, request]) => ({
            action: `dynamodb:${TRANSACT_ACTIONS[kind] ?? kind}`,
            resource: table((request as Json | undefined)?.TableName),
          })),
        );
      }
      if (body.ResourceArn !== undefined) return one(arnOrName(body.ResourceArn, table));
      const index = str(body.IndexName);
      return one(index && (op === 'Query' || op === 'Scan') ? `${table(body.TableName)}/index/${index}` : table(body.TableName));
    }
    case 'states': {
      const created = op === 'CreateStateMachine' ? str(body.name) : undefined;
      const machine = created && `arn:aws:states:${region}:${account}:stateMachine:${created}`;
      return one(str(body.executionArn) ?? str(body.stateMachineArn) ?? machine ?? '*');
    }
    case 'secretsmanager': {
      const secret = (id: string) => secretArns.get(id) ?? `arn:aws:secretsmanager:${region}:${account}:secret:${id}`;
      if (op === 'BatchGetSecretValue' && Array.isArray(body.SecretIdList)) {
        return (body.SecretIdList as unknown[]).map((id) => ({ action: 'secretsmanager:GetSecretValue', resource: arnOrName(id, secret) }));
      }
      return one(arnOrName(body.SecretId ?? body.Name, secret));
    }
    case 'glue': {
      const job = (name: string) => `arn:aws:glue:${region}:${account}:job/${name}`;
      if (Array.isArray(body.JobNames)) return (body.JobNames as unknown[]).map((name) => ({ action: `glue:${op}`, resource: arnOrName(name, job) }));
      return one(arnOrName(body.JobName ?? (op === 'CreateJob' ? body.Name : undefined), job));
    }
    case 'sqs': {
      // Authorized on the queue: https://sqs.REGION.amazonaws.com/ACCOUNT/NAME → arn:aws:sqs:REGION:ACCOUNT:NAME. A batch
      // operation is its single-message action (DeleteMessageBatch needs sqs:DeleteMessage).
      const url = str(body.QueueUrl);
      const [, queueAccount, name] = url ? new URL(url).pathname.split('/') : [];
      const action = `sqs:${op.replace(/Batch$/, '')}`;
      return [{ action, resource: name ? `arn:aws:sqs:${region}:${queueAccount}:${name}` : '*' }];
    }
    case 'cognito-idp': {
      // User pool operations are authorized on the pool (userpool/<id>), app clients included.
      const pool = str(body.UserPoolId);
      return one(pool ? `arn:aws:cognito-idp:${region}:${account}:userpool/${pool}` : '*');
    }
    default:
      return one('*');
  }
}

/** CloudFormation (Query protocol) authorizes on the stack's ARN, whose last part is an id the request does not carry
 *  when it names the stack: `*` stands for it. */
function cloudFormationPermissions(request: AwsRequest, scope: Scope): Permission[] {
  const params = new URLSearchParams(request.body ?? '');
  const name = params.get('StackName');
  const resource = !name ? '*' : name.startsWith('arn:') ? name : `arn:aws:cloudformation:${scope.region}:${scope.account}:stack/${name}/*`;
  return [{ action: `cloudformation:${params.get('Action') ?? 'Unknown'}`, resource }];
}

/** TransactWriteItems / TransactGetItems: each item is authorized as the single-item operation it stands for. */
const TRANSACT_ACTIONS: Record<string, string> = {
  ConditionCheck: 'ConditionCheckItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Get: 'GetItem',
};

function snsPermissions(request: AwsRequest, scope: Scope): Permission[] {
  const params = new URLSearchParams(request.body ?? '');
  const op = params.get('Action') ?? 'Unknown';
  const name = op === 'CreateTopic' ? params.get('Name') : null;
  const resource = params.get('TopicArn') ?? params.get('TargetArn') ?? params.get('ResourceArn') ??
    (name ? `arn:aws:sns:${scope.region}:${scope.account}:${name}` : '*');
  return [{ action: `sns:${op}`, resource }];
}

// --- S3 (REST, path-style) ---------------------------------------------------------------------------------------

export interface S3Operation {
  /** The S3 API operation (PutObject, CopyObject, CompleteMultipartUpload, …), or Unknown. */
  name: string;
  bucket?: string;
  key?: string;
  permissions: Permission[];
}

/** An [operation, action] pair per method for a bucket subresource (`?versioning`, …). */
type Row = [operation: string, action: string];
const BUCKET_SUBRESOURCES: Record<string, Partial<Record<string, Row>>> = {
  versions: { GET: ['ListObjectVersions', 'ListBucketVersions'] },
  location: { GET: ['GetBucketLocation', 'GetBucketLocation'] },
  uploads: { GET: ['ListMultipartUploads', 'ListBucketMultipartUploads'] },
  versioning: { GET: ['GetBucketVersioning', 'GetBucketVersioning'], PUT: ['PutBucketVersioning', 'PutBucketVersioning'] },
  notification: {
    GET: ['GetBucketNotificationConfiguration', 'GetBucketNotification'],
    PUT: ['PutBucketNotificationConfiguration', 'PutBucketNotification'],
  },
  tagging: {
    GET: ['GetBucketTagging', 'GetBucketTagging'],
    PUT: ['PutBucketTagging', 'PutBucketTagging'],
    DELETE: ['DeleteBucketTagging', 'PutBucketTagging'],
  },
  policy: {
    GET: ['GetBucketPolicy', 'GetBucketPolicy'],
    PUT: ['PutBucketPolicy', 'PutBucketPolicy'],
    DELETE: ['DeleteBucketPolicy', 'DeleteBucketPolicy'],
  },
  acl: { GET: ['GetBucketAcl', 'GetBucketAcl'], PUT: ['PutBucketAcl', 'PutBucketAcl'] },
  cors: { GET: ['GetBucketCors', 'GetBucketCORS'], PUT: ['PutBucketCors', 'PutBucketCORS'], DELETE: ['DeleteBucketCors', 'PutBucketCORS'] },
  lifecycle: {
    GET: ['GetBucketLifecycleConfiguration', 'GetLifecycleConfiguration'],
    PUT: ['PutBucketLifecycleConfiguration', 'PutLifecycleConfiguration'],
    DELETE: ['DeleteBucketLifecycle', 'PutLifecycleConfiguration'],
  },
  encryption: {
    GET: ['GetBucketEncryption', 'GetEncryptionConfiguration'],
    PUT: ['PutBucketEncryption', 'PutEncryptionConfiguration'],
    DELETE: ['DeleteBucketEncryption', 'PutEncryptionConfiguration'],
  },
  ownershipControls: {
    GET: ['GetBucketOwnershipControls', 'GetBucketOwnershipControls'],
    PUT: ['PutBucketOwnershipControls', 'PutBucketOwnershipControls'],
    DELETE: ['DeleteBucketOwnershipControls', 'PutBucketOwnershipControls'],
  },
  publicAccessBlock: {
    GET: ['GetPublicAccessBlock', 'GetBucketPublicAccessBlock'],
    PUT: ['PutPublicAccessBlock', 'PutBucketPublicAccessBlock'],
    DELETE: ['DeletePublicAccessBlock', 'PutBucketPublicAccessBlock'],
  },
  'object-lock': {
    GET: ['GetObjectLockConfiguration', 'GetBucketObjectLockConfiguration'],
    PUT: ['PutObjectLockConfiguration', 'PutBucketObjectLockConfiguration'],
  },
  logging: { GET: ['GetBucketLogging', 'GetBucketLogging'], PUT: ['PutBucketLogging', 'PutBucketLogging'] },
};

/** Object subresources: [operation, action, action when a versionId is given]. */
type ObjectRow = [operation: string, action: string, versionAction?: string];
const OBJECT_SUBRESOURCES: Record<string, Partial<Record<string, ObjectRow>>> = {
  tagging: {
    GET: ['GetObjectTagging', 'GetObjectTagging', 'GetObjectVersionTagging'],
    PUT: ['PutObjectTagging', 'PutObjectTagging', 'PutObjectVersionTagging'],
    DELETE: ['DeleteObjectTagging', 'DeleteObjectTagging', 'DeleteObjectVersionTagging'],
  },
  acl: { GET: ['GetObjectAcl', 'GetObjectAcl', 'GetObjectVersionAcl'], PUT: ['PutObjectAcl', 'PutObjectAcl', 'PutObjectVersionAcl'] },
  attributes: { GET: ['GetObjectAttributes', 'GetObjectAttributes', 'GetObjectVersionAttributes'] },
  retention: { GET: ['GetObjectRetention', 'GetObjectRetention'], PUT: ['PutObjectRetention', 'PutObjectRetention'] },
  'legal-hold': { GET: ['GetObjectLegalHold', 'GetObjectLegalHold'], PUT: ['PutObjectLegalHold', 'PutObjectLegalHold'] },
  restore: { POST: ['RestoreObject', 'RestoreObject'] },
  uploads: { POST: ['CreateMultipartUpload', 'PutObject'] },
  uploadId: {
    GET: ['ListParts', 'ListMultipartUploadParts'],
    PUT: ['UploadPart', 'PutObject'],
    POST: ['CompleteMultipartUpload', 'PutObject'],
    DELETE: ['AbortMultipartUpload', 'AbortMultipartUpload'],
  },
};

/** Query parameters that are not subresources: listing, paging, response overrides, presigning, SDK hints. */
const PLAIN_PARAMETERS = new Set([
  'list-type', 'prefix', 'delimiter', 'encoding-type', 'max-keys', 'marker', 'continuation-token', 'fetch-owner',
  'start-after', 'key-marker', 'version-id-marker', 'upload-id-marker', 'max-uploads', 'max-parts',
  'part-number-marker', 'versionId', 'partNumber', 'x-id',
]);
const isPlain = (name: string) => PLAIN_PARAMETERS.has(name) || /^(x-amz-|response-)/i.test(name);

/** Classifies a path-style S3 REST request (`/<bucket>/<key>?<subresource>`). The SDKs use path style with an IP
 *  endpoint such as the gateway's http://127.0.0.1:PORT (they would put the bucket in the host name only for a DNS
 *  name such as localhost), so virtual-hosted style is not read. */
export function s3Operation(request: AwsRequest): S3Operation {
  const url = new URL(request.url, 'http://gateway');
  const [rawBucket = '', ...rawKey] = url.pathname.slice(1).split('/');
  const bucket = decode(rawBucket);
  const key = decode(rawKey.join('/'));
  const method = request.method.toUpperCase();
  const query = url.searchParams;
  const versionId = query.get('versionId') ?? undefined;
  const subresource = [...query.keys()].find((name) => !isPlain(name));
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const objectArn = `${bucketArn}/${key}`;
  const op = (name: string, ...permissions: Array<[action: string, resource: string]>): S3Operation => ({
    name,
    ...(bucket ? { bucket } : {}),
    ...(key ? { key } : {}),
    permissions: permissions.map(([action, resource]) => ({ action: `s3:${action}`, resource })),
  });
  const unknown = () => op('Unknown', [`Unknown:${method}?${subresource ?? ''}`, key ? objectArn : bucket ? bucketArn : '*']);

  if (!bucket) return method === 'GET' && !subresource ? op('ListBuckets', ['ListAllMyBuckets', '*']) : unknown();

  if (!key) {
    if (method === 'POST' && subresource === 'delete') {
      return op('DeleteObjects', ...deletedObjects(request.body ?? '').map(
        (o): [string, string] => [o.versionId ? 'DeleteObjectVersion' : 'DeleteObject', `${bucketArn}/${o.key}`],
      ));
    }
    if (subresource) {
      const row = BUCKET_SUBRESOURCES[subresource]?.[method];
      return row ? op(row[0], [row[1], bucketArn]) : unknown();
    }
    if (method === 'GET') {
      const listing = op(query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', ['ListBucket', bucketArn]);
      listing.permissions[0]!.context = { 's3:prefix': query.get('prefix') ?? '' };
      return listing;
    }
    if (method === 'HEAD') return op('HeadBucket', ['ListBucket', bucketArn]);
    if (method === 'PUT') return op('CreateBucket', ['CreateBucket', bucketArn]);
    if (method === 'DELETE') return op('DeleteBucket', ['DeleteBucket', bucketArn]);
    return unknown();
  }

  const copySource = headerValue(request.headers, 'x-amz-copy-source');
  const source = copySource ? parseCopySource(copySource) : undefined;
  const read: Array<[string, string]> = source
    ? [[source.versionId ? 'GetObjectVersion' : 'GetObject', `arn:aws:s3:::${source.bucket}/${source.key}`]]
    : [];
  if (subresource) {
    const row = OBJECT_SUBRESOURCES[subresource]?.[method];
    if (!row) return unknown();
    const [name, action, versionAction] = row;
    if (name === 'UploadPart' && source) return op('UploadPartCopy', ...read, [action, objectArn]);
    return op(name, [(versionId && versionAction) || action, objectArn], ...(name === 'CreateMultipartUpload' ? writeExtras(request, objectArn) : []));
  }
  if (method === 'GET' || method === 'HEAD') {
    return op(method === 'GET' ? 'GetObject' : 'HeadObject', [versionId ? 'GetObjectVersion' : 'GetObject', objectArn]);
  }
  if (method === 'PUT' && source) return op('CopyObject', ...read, ['PutObject', objectArn], ...writeExtras(request, objectArn));
  if (method === 'PUT') return op('PutObject', ['PutObject', objectArn], ...writeExtras(request, objectArn));
  if (method === 'DELETE') return op('DeleteObject', [versionId ? 'DeleteObjectVersion' : 'DeleteObject', objectArn]);
  return unknown();
}

/** A write that sets tags or an ACL on the new object also needs s3:PutObjectTagging / s3:PutObjectAcl. */
function writeExtras(request: AwsRequest, objectArn: string): Array<[string, string]> {
  const has = (name: string) => headerValue(request.headers, name) !== undefined;
  const extras: Array<[string, string]> = [];
  if (has('x-amz-tagging')) extras.push(['PutObjectTagging', objectArn]);
  if (['x-amz-acl', 'x-amz-grant-read', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp', 'x-amz-grant-full-control'].some(has)) {
    extras.push(['PutObjectAcl', objectArn]);
  }
  return extras;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `x-amz-copy-source: [/]bucket/key[?versionId=…]`, URL-encoded. */
export function parseCopySource(value: string): { bucket: string; key: string; versionId?: string } {
  const [path = '', query = ''] = value.replace(/^\//, '').split('?');
  const slash = path.indexOf('/');
  const versionId = new URLSearchParams(query).get('versionId');
  return {
    bucket: decode(path.slice(0, slash)),
    key: decode(path.slice(slash + 1)),
    ...(versionId ? { versionId } : {}),
  };
}

/** The objects a DeleteObjects body names: `<Delete><Object><Key>k</Key><VersionId>v</VersionId></Object>…`. */
export function deletedObjects(xml: string): Array<{ key: string; versionId?: string }> {
  return [...xml.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map(([, inner = '']) => {
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(inner)?.[1] ?? '';
    const versionId = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(inner)?.[1];
    return { key: xmlText(key), ...(versionId ? { versionId: xmlText(versionId) } : {}) };
  });
}

const xmlText = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (_, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10))
      : ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[e.toLowerCase()]!,
  );
