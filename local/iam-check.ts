import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { asArray, DOCS, physicalValues, platformNeeds, rawProperty, refOf, s3UriAsArn, stringsOf, tryEvaluate, type PlatformNeed } from './iam-platform';
import { LOCAL_ACCOUNT, LOCAL_REGION, LOCAL_STAGE } from './deployment';
import { ResolvedTemplate, type Json, type Template } from './template';

export { DOCS, type PlatformNeed } from './iam-platform';

/** Least privilege, proven by observation: every AWS call the local stack recorded (principal = the logical id of
 *  the role that makes it on AWS) is evaluated, for each packaged stage, against that role's identity policies as
 *  the stage deploys them, with @cloud-copilot/iam-simulate. Calls that need a permission without a call of their
 *  own (KMS behind S3, Secrets Manager, SNS, SQS) are added from the template, each with its documented reason; the
 *  grants no call used are listed, split into what the platform needs (not observable locally) and candidates to
 *  remove. Pure functions here; scripts/check-iam.ts reads the files and prints (local/iam-report.ts). */

/** The account and region the local stack records its ARNs in, used for every stage, and the stage whose names the
 *  recorded calls use. */
export const CHECK_ACCOUNT = LOCAL_ACCOUNT;
export const CHECK_REGION = LOCAL_REGION;
export const RECORDED_STAGE = LOCAL_STAGE;

// ---------------------------------------------------------------------------------------------------------------
// Recorded calls

export interface RecordedCall {
  principal: string;
  /** The IAM action, e.g. s3:GetObjectVersion. */
  action: string;
  /** The ARN, in the recorded stage's names. */
  resource: string;
  status?: number | string;
  /** Request context keys the call carried (`s3:prefix`). */
  context?: Record<string, string>;
  caller?: string;
  test?: string;
  /** file:line it was read from. */
  source: string;
}

export class CallsFileError extends Error {
  override name = 'CallsFileError';
}

/** Parses a JSON-lines calls file; a line that is not a call fails with its file and line number. */
export function parseCalls(text: string, file: string): RecordedCall[] {
  const calls: RecordedCall[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    const where = `${file}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new CallsFileError(`${where}: not a JSON object: ${(e as Error).message}`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new CallsFileError(`${where}: not a JSON object`);
    const o = value as Record<string, unknown>;
    for (const key of ['principal', 'action', 'resource']) {
      if (typeof o[key] !== 'string' || o[key] === '') throw new CallsFileError(`${where}: "${key}" must be a non-empty string`);
    }
    if (!/^[a-z0-9-]+:\S+$/.test(o.action as string)) throw new CallsFileError(`${where}: "action" must be service:Action, got "${String(o.action)}"`);
    for (const key of ['caller', 'test']) {
      if (o[key] !== undefined && typeof o[key] !== 'string') throw new CallsFileError(`${where}: "${key}" must be a string`);
    }
    if (o.status !== undefined && typeof o.status !== 'number' && typeof o.status !== 'string') {
      throw new CallsFileError(`${where}: "status" must be a number or a string`);
    }
    calls.push({
      principal: o.principal as string,
      action: o.action as string,
      resource: o.resource as string,
      ...(o.status !== undefined ? { status: o.status as number | string } : {}),
      ...(o.context && typeof o.context === 'object' ? { context: o.context as Record<string, string> } : {}),
      ...(o.caller !== undefined ? { caller: o.caller as string } : {}),
      ...(o.test !== undefined ? { test: o.test as string } : {}),
      source: where,
    });
  });
  return calls;
}

// ---------------------------------------------------------------------------------------------------------------
// A stage: its roles' policies and what the template says about keys, secrets and the platform

export interface Grant {
  policy: string;
  /** The statement's Sid, or `<policy>#<n>` when it has none. */
  sid: string;
  actions: string[];
  resources: string[];
  /** A NotAction / NotResource statement or a Deny: evaluated, never listed as unused. */
  analysable: boolean;
}

export interface RoleModel {
  logicalId: string;
  arn: string;
  policies: Array<{ name: string; document: Json }>;
  grants: Grant[];
}

export interface StageModel {
  stage: string;
  template: ResolvedTemplate;
  roles: Map<string, RoleModel>;
  /** Template secrets by their Name: the ARN the resolver gives them (the canonical form). */
  secrets: Map<string, string>;
  /** The KMS key ARN that encrypts a bucket (by name), a topic, a queue or a secret (by ARN). */
  encryptedBy: Map<string, string>;
  /** What the deployment hands to the code: `<logical id> <key>` → value (Lambda environment variables, Glue job
   *  default arguments, state machine definition substitutions). */
  handed: Map<string, string>;
  /** Physical value → the logical id it names (to label resources in the report). */
  labels: Map<string, string>;
  /** The key policy of each KMS key of the template, by key ARN: KMS authorizes a call only if the key policy
   *  allows it, directly or by delegating to IAM policies. */
  keyPolicies: Map<string, Json>;
  platform: PlatformNeed[];
  warnings: string[];
}

export interface StageOptions {
  stage: string;
  account?: string;
  region?: string;
}

/** Resolves a packaged template the way the IAM check needs it. Secrets keep the resolver's `-AbCdEf` suffix: a
 *  recorded secret ARN is brought to that form (canonicalSecret) before it is evaluated. */
export function loadStage(template: Template, options: StageOptions): StageModel {
  const account = options.account ?? CHECK_ACCOUNT;
  const region = options.region ?? CHECK_REGION;
  const t = new ResolvedTemplate(template, { account, region, stackName: `landing-etl-${options.stage}` });
  const warnings: string[] = [];
  const keyArn = (value: unknown) => kmsKeyArn(t, value, account, region);

  const roles = new Map<string, RoleModel>();
  for (const id of t.ofType('AWS::IAM::Role')) roles.set(id, roleModel(t, id, warnings));
  // A managed policy the template attaches to nothing is for the people who use the stack (ApiTokenPolicy: the
  // CLI's `token --stage`): a call recorded as its logical id is checked against that policy alone.
  for (const id of t.ofType('AWS::IAM::ManagedPolicy')) {
    if (['Roles', 'Users', 'Groups'].some((k) => rawProperty(t, id, [k]) !== undefined)) continue;
    const policies = [{ name: String(tryEvaluate(t, rawProperty(t, id, ['ManagedPolicyName']) ?? id)), document: t.property(id, 'PolicyDocument') }];
    roles.set(id, { logicalId: id, arn: `arn:aws:iam::${account}:user/${id}`, policies, grants: grantsOf(policies) });
  }

  const secrets = new Map<string, string>();
  const encryptedBy = new Map<string, string>();
  const put = (resource: string, key: string | undefined) => key && encryptedBy.set(resource, key);
  for (const id of t.ofType('AWS::SecretsManager::Secret')) {
    const arn = t.ref(id);
    secrets.set(t.property<string>(id, 'Name'), arn);
    put(arn, keyArn(t.property(id, 'KmsKeyId')));
  }
  for (const id of t.ofType('AWS::S3::Bucket')) {
    const rules = t.property<Array<{ ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string } }> | null>(
      id, 'BucketEncryption', 'ServerSideEncryptionConfiguration') ?? [];
    const sse = rules.find((r) => r.ServerSideEncryptionByDefault?.SSEAlgorithm?.startsWith('aws:kms'))?.ServerSideEncryptionByDefault;
    // SSE-KMS without a key id uses the AWS managed aws/s3 key: its key policy lets the account use it through S3.
    if (sse) put(t.ref(id), keyArn(sse.KMSMasterKeyID));
  }
  for (const id of t.ofType('AWS::SNS::Topic')) put(t.ref(id), keyArn(t.property(id, 'KmsMasterKeyId')));
  for (const id of t.ofType('AWS::SQS::Queue')) put(t.getAtt(id, 'Arn'), keyArn(t.property(id, 'KmsMasterKeyId')));

  const keyPolicies = new Map<string, Json>();
  for (const id of t.ofType('AWS::KMS::Key')) keyPolicies.set(t.getAtt(id, 'Arn'), t.property(id, 'KeyPolicy'));

  const handed = new Map<string, string>();
  const hand = (id: string, path: string[]) => {
    for (const [key, value] of Object.entries(stringsOf(t, id, path))) handed.set(`${id} ${key}`, value);
  };
  for (const id of t.ofType('AWS::Lambda::Function')) hand(id, ['Environment', 'Variables']);
  for (const id of t.ofType('AWS::Glue::Job')) for (const args of ['DefaultArguments', 'NonOverridableArguments']) hand(id, [args]);
  for (const id of t.ofType('AWS::StepFunctions::StateMachine')) hand(id, ['DefinitionSubstitutions']);

  const labels = new Map<string, string>();
  for (const id of Object.keys(template.Resources)) {
    for (const value of Object.values(physicalValues(t, id) ?? {})) if (value.length > 3 && !labels.has(value)) labels.set(value, id);
  }
  for (const [name, arn] of secrets) labels.set(arn, labels.get(arn) ?? name);

  return {
    stage: options.stage,
    template: t,
    roles,
    secrets,
    encryptedBy,
    handed,
    labels,
    keyPolicies,
    platform: platformNeeds(t, encryptedBy, account, region),
    warnings,
  };
}

/** The identity policies of a role: its inline Policies, the AWS::IAM::Policy and ManagedPolicy resources that
 *  name it, and the ManagedPolicyArns that are policies of this template. */
function roleModel(t: ResolvedTemplate, id: string, warnings: string[]): RoleModel {
  const policies: RoleModel['policies'] = [];
  const inline = t.property<Array<{ PolicyName: string; PolicyDocument: Json }> | null>(id, 'Policies') ?? [];
  for (const p of inline) policies.push({ name: p.PolicyName, document: p.PolicyDocument });
  const roleName = t.ref(id);
  const attached = new Set<string>();
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const pid of t.ofType(type)) {
      const roles = (rawProperty(t, pid, ['Roles']) ?? []) as Json[];
      if (roles.some((r) => refOf(r) === id || tryEvaluate(t, r) === roleName)) attached.add(pid);
    }
  }
  for (const raw of ((rawProperty(t, id, ['ManagedPolicyArns']) ?? []) as Json[])) {
    const pid = refOf(raw);
    if (pid && t.template.Resources[pid]?.Type === 'AWS::IAM::ManagedPolicy') attached.add(pid);
    else warnings.push(`${id}: managed policy ${JSON.stringify(tryEvaluate(t, raw))} is not in the template and is not evaluated`);
  }
  for (const pid of attached) {
    const name = String(tryEvaluate(t, rawProperty(t, pid, ['PolicyName']) ?? rawProperty(t, pid, ['ManagedPolicyName']) ?? pid));
    policies.push({ name, document: t.property(pid, 'PolicyDocument') });
  }
  return { logicalId: id, arn: t.getAtt(id, 'Arn'), policies, grants: grantsOf(policies) };
}

/** Every statement of the policies, as a grant. */
function grantsOf(policies: RoleModel['policies']): Grant[] {
  const grants: Grant[] = [];
  for (const p of policies) {
    const statements = asArray((p.document as { Statement?: Json } | null)?.Statement);
    statements.forEach((raw, i) => {
      const s = (raw ?? {}) as Record<string, Json>;
      grants.push({
        policy: p.name,
        sid: typeof s.Sid === 'string' && s.Sid ? s.Sid : `${p.name}#${i + 1}`,
        actions: asArray(s.Action ?? s.NotAction).map(String),
        resources: asArray(s.Resource ?? s.NotResource).map(String),
        analysable: s.Effect === 'Allow' && s.Action !== undefined && s.Resource !== undefined,
      });
    });
  }
  return grants;
}

// ---------------------------------------------------------------------------------------------------------------
// From the recorded stage's names to another stage's

/** Brings a recorded secret ARN (moto's or Secrets Manager's random six-character suffix) to the resolver's form
 *  when its name is the Name of a template secret; any other resource is returned as it is. */
export function canonicalSecret(resource: string, stage: StageModel): string {
  const m = /^(arn:aws[\w-]*:secretsmanager:[^:]*:[^:]*:secret:)(.+)$/.exec(resource);
  if (!m) return resource;
  const rest = m[2]!;
  return stage.secrets.get(rest) ?? stage.secrets.get(rest.replace(/-[A-Za-z0-9]{6}$/, '')) ?? resource;
}

const BOUNDARY = /[:/*,]/;

/** Translates ARNs of one stage into another's: the physical values of the same logical resource in both templates,
 *  and the values the deployment hands to the code under the same key (DB_SECRET_ARN, --db_secret_arn, …), replaced
 *  longest first, each only where it stands between ARN delimiters. */
export class StageTranslator {
  readonly pairs: Array<[from: string, to: string]>;
  readonly warnings: string[] = [];

  constructor(
    readonly from: StageModel,
    readonly to: StageModel,
  ) {
    const pairs = new Map<string, string>();
    const add = (a: string, b: string, what: string) => {
      // An empty value (an argument the other stage leaves blank) maps nothing.
      if (a === b || !b || !(BOUNDARY.test(a) || a.length >= 8)) return;
      const known = pairs.get(a);
      if (known === undefined) pairs.set(a, b);
      else if (known !== b) this.warnings.push(`${what}: ${a} is ${known} in ${to.stage} by an earlier mapping, not ${b}`);
    };
    // The stack's own name, in ARNs of the stack itself (cloudformation:DescribeStacks).
    add(from.template.ref('AWS::StackName'), to.template.ref('AWS::StackName'), 'AWS::StackName');
    const fromResources = from.template.template.Resources;
    for (const [id, resource] of Object.entries(fromResources)) {
      const other = to.template.template.Resources[id];
      if (!other || other.Type !== resource.Type) continue;
      const a = physicalValues(from.template, id);
      const b = physicalValues(to.template, id);
      if (!a || !b) continue;
      for (const [attribute, value] of Object.entries(a)) if (b[attribute] !== undefined) add(value, b[attribute], `${id}.${attribute}`);
    }
    for (const [key, a] of from.handed) {
      const b = to.handed.get(key);
      if (b === undefined) continue;
      add(a, b, key);
      const [sa, sb] = [s3UriAsArn(a), s3UriAsArn(b)];
      if (sa && sb) add(sa, sb, key);
    }
    this.pairs = [...pairs].sort((x, y) => y[0].length - x[0].length);
  }

  translate(resource: string): string {
    let out = '';
    let i = 0;
    next: while (i < resource.length) {
      if (i === 0 || BOUNDARY.test(resource[i - 1]!)) {
        for (const [a, b] of this.pairs) {
          const end = i + a.length;
          if (resource.startsWith(a, i) && (end === resource.length || BOUNDARY.test(resource[end]!) || BOUNDARY.test(a.at(-1)!))) {
            out += b;
            i = end;
            continue next;
          }
        }
      }
      out += resource[i];
      i++;
    }
    return out;
  }

  /** True when a translated resource still names the source stage (a name the templates do not map). */
  stillNamesSource(resource: string): boolean {
    return new RegExp(`(^|[^A-Za-z0-9])${this.from.stage}([^A-Za-z0-9]|$)`).test(resource);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Implied calls

export interface Implied {
  action: string;
  resource: string;
  /** The service that makes the KMS call for the role (kms:ViaService). */
  via: string;
  reason: string;
  doc: string;
}

/** The permissions a call needs without a call of its own, from the stage's template. */
export function impliedCalls(stage: StageModel, action: string, resource: string): Implied[] {
  const kms = (actions: string[], key: string | undefined, via: string, reason: string, doc: string): Implied[] =>
    key ? actions.map((a) => ({ action: a, resource: key, via, reason, doc })) : [];
  const [service] = action.split(':');
  if (service === 's3') {
    const m = /^arn:aws[\w-]*:s3:::([^/]+)\/.+/.exec(resource);
    const key = m ? stage.encryptedBy.get(m[1]!) : undefined;
    const bucket = m?.[1] ?? '';
    if (action === 's3:GetObject' || action === 's3:GetObjectVersion') {
      return kms(['kms:Decrypt'], key, 's3', `${bucket} is SSE-KMS: S3 decrypts the object's data key with the caller's permission`, DOCS.s3Kms);
    }
    if (action === 's3:PutObject') {
      return [
        ...kms(['kms:GenerateDataKey'], key, 's3', `${bucket} is SSE-KMS: S3 asks KMS for a data key with the caller's permission`, DOCS.s3Kms),
        ...kms(['kms:Decrypt'], key, 's3',
          `${bucket} is SSE-KMS and a multipart upload (authorized as s3:PutObject) needs kms:Decrypt: S3 decrypts the parts to complete it`, DOCS.s3Multipart),
      ];
    }
    return [];
  }
  if (action === 'secretsmanager:GetSecretValue') {
    return kms(['kms:Decrypt'], stage.encryptedBy.get(resource), 'secretsmanager',
      'the secret is encrypted with a customer managed key: Secrets Manager decrypts its data key with the caller\'s permission', DOCS.secretsKms);
  }
  if (action === 'sns:Publish') {
    return kms(['kms:GenerateDataKey', 'kms:Decrypt'], stage.encryptedBy.get(resource), 'sns',
      'the topic is encrypted (KmsMasterKeyId): a publisher needs kms:GenerateDataKey* and kms:Decrypt on its key', DOCS.snsKms);
  }
  if (action === 'sqs:SendMessage') {
    return kms(['kms:GenerateDataKey', 'kms:Decrypt'], stage.encryptedBy.get(resource), 'sqs',
      'the queue is encrypted (KmsMasterKeyId): a producer needs kms:GenerateDataKey and kms:Decrypt on its key', DOCS.sqsKms);
  }
  return [];
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

export interface MatchedStatement {
  policy: string;
  sid: string;
  /** The statement's action and resource patterns that matched. */
  actions: string[];
  resources: string[];
}

export interface Verdict {
  stage: string;
  principal: string;
  action: string;
  resource: string;
  /** For implied calls: the service that makes the call for the role. */
  via?: string;
  /** The request context keys of the calls (a listing's `s3:prefix`). */
  context?: Record<string, string>;
  /** The recorded calls that map to this (principal, action, resource). */
  calls: RecordedCall[];
  /** Why an implied call is needed, and by which calls (in this stage's names). */
  impliedBy: Array<{ action: string; resource: string; reason: string; doc: string }>;
  allowed: boolean;
  matched: MatchedStatement[];
  /** The simulator could not evaluate the request (an unknown action, a resource the action does not take). */
  error?: string;
  /** An assumption the evaluation made (a key policy that is not in the template). */
  note?: string;
}

export interface UnusedGrant {
  role: string;
  sid: string;
  action: string;
  /** The resource patterns of the grant no call used. */
  resources: string[];
  /** The grant's action was used on other resources of the statement. */
  partly: boolean;
  platform?: { reason: string; doc: string };
}

export interface StageResult {
  stage: string;
  verdicts: Verdict[];
  platform: UnusedGrant[];
  unused: UnusedGrant[];
  warnings: string[];
}

export interface CheckResult {
  calls: number;
  /** Calls of principals that are no role of the templates (LocalUser, anonymous, local…), by principal. */
  ignored: Record<string, number>;
  stages: StageResult[];
}

/** Checks the recorded calls against every stage. `stages[0]` must be the recorded stage (dev). */
export async function checkCalls(calls: RecordedCall[], stages: StageModel[]): Promise<CheckResult> {
  const recorded = stages[0]!;
  if (recorded.stage !== RECORDED_STAGE) throw new Error(`the first stage must be ${RECORDED_STAGE}, the stage the calls are recorded in`);
  const roleIds = new Set(stages.flatMap((s) => [...s.roles.keys()]));
  const ignored: Record<string, number> = {};
  const roleCalls: RecordedCall[] = [];
  for (const c of calls) {
    if (roleIds.has(c.principal)) roleCalls.push(c);
    else ignored[c.principal] = (ignored[c.principal] ?? 0) + 1;
  }

  const results: StageResult[] = [];
  for (const stage of stages) {
    const translator = stage === recorded ? undefined : new StageTranslator(recorded, stage);
    const warnings = [...stage.warnings, ...(translator?.warnings ?? [])];
    const verdicts = new Map<string, Verdict>();
    const entry = (principal: string, action: string, resource: string, via?: string, context?: Record<string, string>) => {
      const key = [principal, action, resource, via ?? '', JSON.stringify(context ?? {})].join('\0');
      let v = verdicts.get(key);
      if (!v) {
        v = { stage: stage.stage, principal, action, resource, ...(via ? { via } : {}), ...(context ? { context } : {}), calls: [], impliedBy: [], allowed: false, matched: [] };
        verdicts.set(key, v);
      }
      return v;
    };
    const untranslated = new Set<string>();
    for (const call of roleCalls) {
      const canonical = canonicalSecret(call.resource, recorded);
      const resource = translator ? translator.translate(canonical) : canonical;
      if (translator?.stillNamesSource(resource)) untranslated.add(resource);
      entry(call.principal, call.action, resource, undefined, call.context).calls.push(call);
    }
    for (const r of untranslated) warnings.push(`${r}: still names the ${recorded.stage} stage after translation to ${stage.stage} (no template value maps it)`);
    for (const v of [...verdicts.values()]) {
      for (const i of impliedCalls(stage, v.action, v.resource)) {
        const implied = entry(v.principal, i.action, i.resource, i.via);
        if (!implied.impliedBy.some((b) => b.action === v.action && b.resource === v.resource && b.reason === i.reason)) {
          implied.impliedBy.push({ action: v.action, resource: v.resource, reason: i.reason, doc: i.doc });
        }
      }
    }
    for (const v of verdicts.values()) {
      const role = stage.roles.get(v.principal);
      if (!role) {
        v.error = `${v.principal} is no role of the ${stage.stage} template`;
        continue;
      }
      let keyPolicy: Json | undefined;
      if (v.action.startsWith('kms:')) {
        keyPolicy = stage.keyPolicies.get(v.resource);
        if (keyPolicy === undefined) {
          keyPolicy = defaultKeyPolicy(CHECK_ACCOUNT);
          v.note = 'the key is not in the template: evaluated with the default key policy, which delegates to IAM';
        }
      }
      Object.assign(v, await evaluate(role, v.action, v.resource, { via: v.via, resourcePolicy: keyPolicy, context: v.context }));
    }
    const list = [...verdicts.values()];
    const { platform, unused } = unusedGrants(stage, list);
    results.push({ stage: stage.stage, verdicts: list, platform, unused, warnings });
  }
  return { calls: calls.length, ignored, stages: results };
}

/** One request through the simulator: the role's identity policies, the request context keys that are known. */
export async function evaluate(
  role: RoleModel,
  action: string,
  resource: string,
  options: {
    via?: string | undefined;
    resourcePolicy?: Json | undefined;
    context?: Record<string, string> | undefined;
    account?: string;
    region?: string;
  } = {},
): Promise<Pick<Verdict, 'allowed' | 'matched' | 'error'>> {
  const { via, resourcePolicy, account = CHECK_ACCOUNT, region = CHECK_REGION } = options;
  const context: Record<string, string> = {
    ...options.context,
    'aws:SecureTransport': 'true',
    'aws:PrincipalArn': role.arn,
    'aws:PrincipalAccount': account,
    'aws:RequestedRegion': region,
    ...(via ? { 'kms:ViaService': `${via}.${region}.amazonaws.com`, 'kms:CallerAccount': account } : {}),
  };
  const simulation: Simulation = {
    request: { principal: role.arn, action, resource: { resource, accountId: account }, contextVariables: context },
    identityPolicies: role.policies.map((p) => ({ name: p.name, policy: p.document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resourcePolicy !== undefined ? { resourcePolicy } : {}),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') {
    return { allowed: false, matched: [], error: `the simulator rejected the request: ${result.errors.message}` };
  }
  const analyses = result.resultType === 'single' ? [result.result.analysis] : result.results.map((r) => r.analysis);
  const matched: MatchedStatement[] = [];
  for (const analysis of analyses) {
    for (const s of analysis.identityAnalysis?.allowStatements ?? []) {
      const explain = s.explain;
      matched.push({
        policy: s.policyId,
        sid: s.statement.sid() ?? `${s.policyId}#${s.statement.index()}`,
        actions: asArray(explain.actions).filter((a) => a.matches).map((a) => a.action),
        resources: asArray(explain.resources).filter((r) => r.matches).map((r) => r.resource),
      });
    }
  }
  return { allowed: result.overallResult === 'Allowed', matched };
}

/** The grants (statement, action, resource pattern) no allowed call matched, split into what the platform needs
 *  and candidates to remove. */
export function unusedGrants(stage: StageModel, verdicts: Verdict[]): { platform: UnusedGrant[]; unused: UnusedGrant[] } {
  const used = new Set<string>();
  for (const v of verdicts) {
    if (!v.allowed) continue;
    for (const m of v.matched) for (const a of m.actions) for (const r of m.resources) used.add([v.principal, m.policy, m.sid, a, r].join('\0'));
  }
  const platform: UnusedGrant[] = [];
  const unused: UnusedGrant[] = [];
  for (const role of stage.roles.values()) {
    for (const g of role.grants.filter((x) => x.analysable)) {
      for (const action of g.actions) {
        const idle = g.resources.filter((r) => !used.has([role.logicalId, g.policy, g.sid, action, r].join('\0')));
        if (!idle.length) continue;
        const partly = idle.length < g.resources.length;
        const byNeed = new Map<PlatformNeed | undefined, string[]>();
        for (const r of idle) {
          const need = stage.platform.find((n) => n.role === role.logicalId && n.actions.some((a) => glob(action, a, true)) &&
            (n.resources.includes('*') || n.resources.some((nr) => nr === r || glob(r, nr))));
          byNeed.set(need, [...(byNeed.get(need) ?? []), r]);
        }
        for (const [need, resources] of byNeed) {
          const item: UnusedGrant = { role: role.logicalId, sid: g.sid, action, resources, partly };
          if (need) platform.push({ ...item, platform: { reason: need.reason, doc: need.doc } });
          else unused.push(item);
        }
      }
    }
  }
  return { platform, unused };
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/** IAM wildcard match (`*`, `?`) of a pattern against a value; actions match case-insensitively. */
export function glob(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** A KMS key ARN from a key ARN, a key id or an alias of the template; undefined for AWS managed keys (alias/aws/…),
 *  whose key policies let the account's principals use them through the service. */
function kmsKeyArn(t: ResolvedTemplate, value: unknown, account: string, region: string): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  if (/^arn:aws[\w-]*:kms:[^:]*:[^:]*:key\//.test(value)) return value;
  const alias = /(?:^|:)(alias\/.+)$/.exec(value)?.[1];
  if (alias) {
    if (alias.startsWith('alias/aws/')) return undefined;
    const id = t.ofType('AWS::KMS::Alias').find((a) => t.property(a, 'AliasName') === alias);
    return id ? kmsKeyArn(t, t.property(id, 'TargetKeyId'), account, region) : undefined;
  }
  return `arn:aws:kms:${region}:${account}:key/${value}`;
}

/** The key policy KMS gives a key created without one: the account delegates the key's use to IAM policies. */
function defaultKeyPolicy(account: string): Json {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
  };
}

