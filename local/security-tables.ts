import { glob, type StageModel } from './iam-check';
import { asArray, refOf, rawProperty, tryEvaluate } from './iam-platform';
import { label } from './iam-report';
import { logicalIdOfGetAtt, type Json } from './template';

/** The tables of docs/security.md that the packaged templates decide: who can call which route, what each role and
 *  each resource policy allows, what is encrypted with which key, who may read each secret. Pure functions of the
 *  stages (local/iam-check.ts loadStage); scripts/security-doc.ts writes them between the doc's markers and
 *  test/template/security-doc.test.ts fails when the doc's copy is stale. */

export const TABLES = ['routes', 'principals', 'resource-policies', 'encryption', 'secrets'] as const;
export type TableName = (typeof TABLES)[number];

export const REGENERATE = 'node --import tsx scripts/security-doc.ts';
const begin = (name: TableName) => `<!-- generated:${name} by ${REGENERATE}: do not edit -->`;
const end = (name: TableName) => `<!-- end generated:${name} -->`;

/** Services whose grants are the platform's plumbing (logs, traces, metrics, network interfaces): docs/iam.md lists
 *  them with their reasons; the principals table shows what touches the stack's data and control plane. */
const PLUMBING = new Set(['logs', 'xray', 'cloudwatch', 'ec2']);

export function securityTables(stages: StageModel[]): Record<TableName, string> {
  return {
    routes: routesTable(stages),
    principals: principalsTable(stages),
    'resource-policies': resourcePoliciesTable(stages),
    encryption: encryptionTable(stages),
    secrets: secretsTable(stages),
  };
}

export class SecurityDocError extends Error {
  override name = 'SecurityDocError';
}

/** The doc with each generated block replaced by its table; a block the doc lacks is an error, never skipped. */
export function withTables(doc: string, tables: Record<TableName, string>): string {
  let out = doc;
  for (const name of TABLES) {
    const [b, e] = [begin(name), end(name)];
    const from = out.indexOf(b);
    const to = out.indexOf(e);
    if (from < 0 || to < from) throw new SecurityDocError(`the doc has no block ${b} … ${e}`);
    out = `${out.slice(0, from + b.length)}\n${tables[name]}\n${out.slice(to)}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Naming

/** A resource as the tables show it: the logical id of the template resource it names, with the rest of the ARN
 *  kept (DataBucket/staging/*\/quality-report.json). */
function named(resource: string, stage: StageModel): string {
  let best: string | undefined;
  for (const value of stage.labels.keys()) {
    if (resource.startsWith(value) && (resource.length === value.length || /[/:]/.test(resource[value.length]!)) && (!best || value.length > best.length)) {
      best = value;
    }
  }
  return best ? stage.labels.get(best)! + resource.slice(best.length) : segmentNamed(resource, stage);
}

/** An ARN whose own prefix names nothing: the stack's own ARN is the stack, a path segment that is a resource's
 *  physical name (the HTTP API's id in an execute-api ARN) becomes its logical id, the account's root the account. */
function segmentNamed(resource: string, stage: StageModel): string {
  if (/^arn:aws[\w-]*:iam::\d+:root$/.test(resource)) return 'the account';
  const m = /^arn:aws[\w-]*:[\w-]+:[\w-]*:\d*:(.+)$/.exec(resource);
  if (!m) return label(resource, stage);
  if (m[1]!.startsWith(`stack/${stage.template.ref('AWS::StackName')}/`)) return 'this stack';
  const segments = m[1]!.split('/');
  const id = segments.findIndex((s) => stage.labels.has(s));
  return id < 0 ? label(resource, stage) : [stage.labels.get(segments[id]!)!, ...segments.slice(id + 1)].join('/');
}

/** Actions grouped by service: `dynamodb:PutItem, UpdateItem`. */
function actionsText(actions: string[]): string {
  const byService = new Map<string, string[]>();
  for (const a of actions) {
    const [service, name] = a.includes(':') ? (a.split(':', 2) as [string, string]) : ['', a];
    byService.set(service, [...(byService.get(service) ?? []), name]);
  }
  return [...byService].map(([service, names]) => `\`${service ? `${service}:` : ''}${names.join(', ')}\``).join(' ');
}

/** One cell for the stages that have the row: the value when they agree, else line by line (lines are `<br>`-
 *  separated), each line one stage lacks tagged with the stages that have it. */
function perStage(stages: StageModel[], values: Map<string, string>): string {
  const present = stages.filter((s) => values.has(s.stage));
  const all = present.map((s) => values.get(s.stage)!);
  if (all.every((v) => v === all[0])) return all[0] ?? '—';
  const lines = [...new Set(all.flatMap((v) => v.split('<br>')))];
  return lines
    .map((line) => {
      const have = present.filter((s) => values.get(s.stage)!.split('<br>').includes(line));
      return have.length === present.length ? line : `[${have.map((s) => s.stage).join(', ')}] ${line}`;
    })
    .join('<br>');
}

/** Rows keyed by their first cells, each stage's remaining cells merged with perStage; a row some stages lack says
 *  which have it. */
function table(header: string[], stages: StageModel[], rowsOf: (s: StageModel) => Array<{ key: string[]; cells: string[] }>): string {
  const rows = new Map<string, { key: string[]; cells: Array<Map<string, string>>; stages: string[] }>();
  for (const s of stages) {
    for (const r of rowsOf(s)) {
      const key = r.key.map((k) => norm(k, s));
      const id = key.join('\0');
      const row = rows.get(id) ?? { key, cells: r.cells.map(() => new Map<string, string>()), stages: [] };
      r.cells.forEach((c, i) => row.cells[i]!.set(s.stage, norm(c, s)));
      row.stages.push(s.stage);
      rows.set(id, row);
    }
  }
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows.values()) {
    const key = r.stages.length < stages.length ? [`${r.key[0]} (${r.stages.join(', ')} only)`, ...r.key.slice(1)] : r.key;
    lines.push(`| ${[...key, ...r.cells.map((c) => perStage(stages, c))].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** A cell with the stage's own names written as <stage>, so that stages compare equal. */
function norm(text: string, s: StageModel): string {
  return text
    .replaceAll(`landing-etl-${s.stage}`, 'landing-etl-<stage>')
    .replaceAll(`landing-etl/${s.stage}/`, 'landing-etl/<stage>/')
    .replaceAll(`landing-etl ${s.stage} `, 'landing-etl <stage> ');
}

const raw = (s: StageModel, id: string, ...path: string[]) => rawProperty(s.template, id, path);
const resources = (s: StageModel, type: string) => s.template.ofType(type);

// ---------------------------------------------------------------------------------------------------------------
// Routes

function routesTable(stages: StageModel[]): string {
  return table(['route', 'authorization', 'function', 'its role'], stages, (s) =>
    resources(s, 'AWS::ApiGatewayV2::Route').map((id) => {
      const p = s.template.property<Record<string, Json>>(id);
      const integration = /integrations\/(.+)$/.exec(String(tryEvaluate(s.template, raw(s, id, 'Target')) ?? ''))?.[1];
      const integrationId = resources(s, 'AWS::ApiGatewayV2::Integration').find((i) => s.template.ref(i) === integration);
      const fn = integrationId ? logicalIdOfGetAtt(raw(s, integrationId, 'IntegrationUri')) : undefined;
      const role = fn ? logicalIdOfGetAtt(raw(s, fn, 'Role')) : undefined;
      const type = String(p.AuthorizationType ?? 'NONE');
      const scopes = asArray(p.AuthorizationScopes as Json[] | undefined).map((x) => `\`${String(x)}\``);
      const authorization = type === 'NONE' ? '**none** (public)' : type === 'JWT' ? `JWT, scope ${scopes.join(' or ') || '(any)'}` : type;
      return { key: [`\`${String(p.RouteKey)}\``], cells: [authorization, fn ?? '?', role ?? '?'] };
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Principals

function principalsTable(stages: StageModel[]): string {
  return table(['principal', 'assumed by', 'used by', 'may (plumbing — logs, X-Ray, metrics, ENIs — in docs/iam.md)'], stages, (s) =>
    [...s.roles.values()].map((role) => {
      const isRole = s.template.template.Resources[role.logicalId]?.Type === 'AWS::IAM::Role';
      const assumedBy = isRole
        ? asArray(s.template.property<{ Statement: Json }>(role.logicalId, 'AssumeRolePolicyDocument').Statement as Json[])
            .flatMap((st) => asArray(((st as Record<string, Json>).Principal as Record<string, Json>)?.Service as Json[]).map(String))
            .join(', ')
        : 'people: attach it to an operator\'s user or role';
      const may = role.grants
        .filter((g) => !g.actions.every((a) => PLUMBING.has(a.split(':')[0]!)))
        .map((g) => `${actionsText(g.actions)} on ${[...new Set(g.resources.map((r) => named(r, s)))].join(', ')}`);
      return { key: [role.logicalId], cells: [assumedBy, usersOf(s, role.logicalId).join(', ') || '—', may.join('<br>') || '—'] };
    }),
  );
}

/** The resources that run as a role: every resource (not IAM) whose properties hold `Fn::GetAtt [role, Arn]`. */
function usersOf(s: StageModel, roleId: string): string[] {
  const holds = (node: Json | undefined): boolean =>
    logicalIdOfGetAtt(node) === roleId ||
    (Array.isArray(node) ? node.some(holds) : !!node && typeof node === 'object' && Object.values(node).some(holds));
  return Object.entries(s.template.template.Resources)
    .filter(([, r]) => !r.Type.startsWith('AWS::IAM::') && (!r.Condition || s.template.condition(r.Condition)) && holds(r.Properties))
    .map(([id]) => id);
}

// ---------------------------------------------------------------------------------------------------------------
// Resource policies

function resourcePoliciesTable(stages: StageModel[]): string {
  return table(['resources', 'effect', 'principal', 'actions', 'when'], stages, (s) => {
    const statements: Array<{ on: string; statement: Record<string, Json> }> = [];
    const document = (on: string[], doc: Json) => {
      for (const st of asArray((doc as Record<string, Json>).Statement as Json[])) for (const o of on) statements.push({ on: o, statement: st as Record<string, Json> });
    };
    for (const id of resources(s, 'AWS::S3::BucketPolicy')) document([refOf(raw(s, id, 'Bucket')) ?? id], s.template.property(id, 'PolicyDocument'));
    for (const id of resources(s, 'AWS::SQS::QueuePolicy')) document(asArray(raw(s, id, 'Queues') as Json[]).map((q) => refOf(q) ?? '?'), s.template.property(id, 'PolicyDocument'));
    for (const id of resources(s, 'AWS::SNS::TopicPolicy')) document(asArray(raw(s, id, 'Topics') as Json[]).map((q) => refOf(q) ?? '?'), s.template.property(id, 'PolicyDocument'));
    for (const id of resources(s, 'AWS::KMS::Key')) document([id], s.template.property(id, 'KeyPolicy'));
    for (const id of resources(s, 'AWS::Lambda::Permission')) {
      const p = s.template.property<Record<string, Json>>(id);
      const when: Record<string, Json> = p.SourceArn ? { ArnLike: { 'aws:SourceArn': p.SourceArn } } : {};
      statements.push({ on: logicalIdOfGetAtt(raw(s, id, 'FunctionName')) ?? String(p.FunctionName), statement: { Effect: 'Allow', Principal: { Service: p.Principal! }, Action: p.Action!, Condition: when } });
    }
    const grouped = new Map<string, { on: string[]; cells: string[] }>();
    for (const { on, statement } of statements) {
      const principal = statement.Principal === '*' ? 'anyone' : principalText(statement.Principal as Record<string, Json>, s);
      const when = Object.entries((statement.Condition ?? {}) as Record<string, Record<string, Json>>).flatMap(([op, keys]) =>
        Object.entries(keys).map(([k, v]) => `${k} ${op} ${asArray(v as Json[]).map((x) => (x === s.template.options.account ? 'this account' : typeof x === 'string' && x.startsWith('arn:') ? named(x, s) : String(x))).join(', ')}`),
      );
      const cells = [String(statement.Effect), principal, actionsText(asArray(statement.Action as Json[]).map(String)), when.join('; ') || '—'];
      const key = cells.join('\0');
      const g = grouped.get(key) ?? { on: [], cells };
      if (!g.on.includes(on)) g.on.push(on);
      grouped.set(key, g);
    }
    return [...grouped.values()].map((g) => ({ key: [g.on.join(', '), ...g.cells.slice(0, 2)], cells: g.cells.slice(2) }));
  });
}

function principalText(principal: Record<string, Json>, s: StageModel): string {
  return Object.entries(principal)
    .flatMap(([kind, v]) => asArray(v as Json[]).map((x) => (kind === 'Service' ? String(x).replace(`.${s.template.options.region}.`, '.') : named(String(x), s))))
    .join(', ');
}

// ---------------------------------------------------------------------------------------------------------------
// Encryption

/** A key as the tables name it: an AWS managed alias as it is, else the template's key (by its ARN, id or alias). */
function keyName(s: StageModel, value: Json | undefined, fallback: string): string {
  const v = tryEvaluate(s.template, value ?? null);
  if (typeof v !== 'string' || !v) return fallback;
  if (v.startsWith('alias/aws/')) return v;
  const alias = resources(s, 'AWS::KMS::Alias').find((a) => s.template.property(a, 'AliasName') === v);
  if (alias) return keyName(s, raw(s, alias, 'TargetKeyId'), fallback);
  return s.labels.get(v) ?? named(v, s);
}

interface Encrypted {
  what: string;
  id: string;
  how: string;
}

function encryptionOf(s: StageModel): Encrypted[] {
  const out: Encrypted[] = [];
  const each = (type: string, what: string, how: (id: string) => string) => {
    for (const id of resources(s, type)) out.push({ what, id, how: how(id) });
  };
  each('AWS::KMS::Key', 'KMS key', (id) => `customer managed, ${s.template.property(id, 'EnableKeyRotation') ? 'rotated yearly' : '**not rotated**'}`);
  each('AWS::S3::Bucket', 'S3 bucket', (id) => {
    const rules = asArray(s.template.property<Json[] | null>(id, 'BucketEncryption', 'ServerSideEncryptionConfiguration'));
    const rule = rules[0] as { ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string }; BucketKeyEnabled?: boolean } | undefined;
    const sse = rule?.ServerSideEncryptionByDefault;
    if (!sse?.SSEAlgorithm?.startsWith('aws:kms')) return 'SSE-S3 (AES-256, S3\'s keys)';
    return `SSE-KMS with ${keyName(s, sse.KMSMasterKeyID, 'aws/s3')}${rule?.BucketKeyEnabled ? ' (S3 Bucket Key)' : ''}`;
  });
  each('AWS::DynamoDB::Table', 'DynamoDB table', (id) => {
    const sse = s.template.property<{ SSEEnabled?: boolean; KMSMasterKeyId?: string } | null>(id, 'SSESpecification');
    return sse?.SSEEnabled ? keyName(s, sse.KMSMasterKeyId, 'aws/dynamodb') : 'an AWS owned key';
  });
  each('AWS::SNS::Topic', 'SNS topic', (id) => keyName(s, raw(s, id, 'KmsMasterKeyId'), '**none**'));
  each('AWS::SQS::Queue', 'SQS queue', (id) => keyName(s, raw(s, id, 'KmsMasterKeyId'), 'SSE-SQS (SQS\'s keys)'));
  each('AWS::Logs::LogGroup', 'log group', (id) => keyName(s, raw(s, id, 'KmsKeyId'), 'CloudWatch Logs\' keys'));
  each('AWS::Lambda::Function', 'Lambda environment variables', (id) => keyName(s, raw(s, id, 'KmsKeyArn'), 'aws/lambda'));
  each('AWS::SecretsManager::Secret', 'secret', (id) => keyName(s, raw(s, id, 'KmsKeyId'), 'aws/secretsmanager'));
  each('AWS::RDS::DBCluster', 'Aurora storage, snapshots, backups', (id) =>
    s.template.property(id, 'StorageEncrypted') ? keyName(s, raw(s, id, 'KmsKeyId'), 'aws/rds') : '**none**');
  each('AWS::StepFunctions::StateMachine', 'Step Functions executions (input, output, history)', (id) =>
    keyName(s, raw(s, id, 'EncryptionConfiguration', 'KmsKeyId'), 'an AWS owned key'));
  for (const id of resources(s, 'AWS::Glue::SecurityConfiguration')) {
    const c = s.template.property<Record<string, Record<string, Json>>>(id, 'EncryptionConfiguration');
    const jobs = resources(s, 'AWS::Glue::Job').filter((j) => refOf(raw(s, j, 'SecurityConfiguration')) === id);
    const mode = (what: string, m: Record<string, Json> | undefined, modeKey: string) =>
      `${what}: ${String(m?.[modeKey] ?? 'DISABLED')}${m?.KmsKeyArn ? ` with ${keyName(s, m.KmsKeyArn, '?')}` : ''}`;
    const s3 = asArray(c.S3Encryptions as unknown as Json[])[0] as Record<string, Json> | undefined;
    out.push({
      what: `Glue jobs' output (${jobs.join(', ')})`,
      id,
      how: [mode('S3', s3, 'S3EncryptionMode'), mode('logs', c.CloudWatchEncryption, 'CloudWatchEncryptionMode'), mode('bookmarks', c.JobBookmarksEncryption, 'JobBookmarksEncryptionMode')].join('; '),
    });
  }
  return out;
}

function encryptionTable(stages: StageModel[]): string {
  const byResource = new Map<string, { what: string; id: string; how: Map<string, string> }>();
  for (const s of stages) {
    for (const e of encryptionOf(s)) {
      const r = byResource.get(`${e.what}\0${e.id}`) ?? { what: e.what, id: e.id, how: new Map<string, string>() };
      r.how.set(s.stage, norm(e.how, s));
      byResource.set(`${e.what}\0${e.id}`, r);
    }
  }
  // One row per kind, stages and encryption: the resources of a kind encrypted alike share it.
  const rows = new Map<string, { what: string; ids: string[]; how: string }>();
  for (const r of byResource.values()) {
    const only = r.how.size < stages.length ? ` (${[...r.how.keys()].join(', ')} only)` : '';
    const how = perStage(stages, r.how);
    const row = rows.get(`${r.what}${only}\0${how}`) ?? { what: `${r.what}${only}`, ids: [], how };
    row.ids.push(r.id);
    rows.set(`${r.what}${only}\0${how}`, row);
  }
  const lines = ['| what | resources | encrypted with |', '|---|---|---|'];
  for (const r of rows.values()) lines.push(`| ${r.what} | ${r.ids.join(', ')} | ${r.how} |`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets

function secretsTable(stages: StageModel[]): string {
  return table(['secret', 'holds', 'encrypted with', 'may read it'], stages, (s) => {
    const readers = (action: string, arn: string) =>
      [...s.roles.values()]
        .filter((role) => role.grants.some((g) => g.analysable && g.actions.some((a) => glob(a, action, true)) && g.resources.some((r) => glob(r, arn))))
        .map((role) => role.logicalId);
    const rows: Array<{ key: string[]; cells: string[] }> = [];
    const given = new Set<string>();
    for (const role of s.roles.values()) {
      for (const g of role.grants) {
        if (!g.actions.some((a) => glob(a, 'secretsmanager:GetSecretValue', true))) continue;
        for (const r of g.resources) if (![...s.secrets.values()].includes(r)) given.add(r);
      }
    }
    for (const id of resources(s, 'AWS::SecretsManager::Secret')) {
      const arn = s.template.ref(id);
      rows.push({ key: [named(arn, s)], cells: [String(s.template.property(id, 'Description') ?? ''), keyName(s, raw(s, id, 'KmsKeyId'), 'aws/secretsmanager'), readers('secretsmanager:GetSecretValue', arn).join(', ')] });
    }
    for (const arn of given) {
      rows.push({ key: [named(arn, s)], cells: ['given to the stage (a parameter)', 'the key it was created with (not in the template)', readers('secretsmanager:GetSecretValue', arn).join(', ')] });
    }
    for (const id of resources(s, 'AWS::Cognito::UserPoolClient')) {
      if (!s.template.property(id, 'GenerateSecret')) continue;
      const pool = refOf(raw(s, id, 'UserPoolId'));
      const poolArn = pool ? s.template.getAtt(pool, 'Arn') : '';
      const scopes = asArray(s.template.property<Json[] | null>(id, 'AllowedOAuthScopes')).map(String);
      rows.push({
        key: [`${id}'s client secret`],
        cells: [`gets tokens of ${scopes.map((x) => `\`${x}\``).join(', ')}`, `Cognito (${pool ?? '?'})`, readers('cognito-idp:DescribeUserPoolClient', poolArn).join(', ')],
      });
    }
    return rows;
  });
}
