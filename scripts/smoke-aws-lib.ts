// The smoke test of a deployed stage (scripts/smoke-aws.sh; docs/deployment.md: Smoke test): land a small generated
// check-in file for a synthetic user in the stage's landing bucket, follow its ingestion through the run log with the
// landing-etl CLI, and read the rows back over the HTTP API. It drives the `aws` CLI and `npx landing-etl` and talks
// HTTP through the ports below, so tests run it whole with stand-ins for all three.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export const EXIT = { pass: 0, fail: 1, usage: 2, error: 3 } as const;

export const USAGE = `usage: scripts/smoke-aws.sh STAGE [--region REGION]

  Lands a 3-row dailycheckin file for a new synthetic user in the landing bucket of stack landing-etl-STAGE,
  follows its ingestion (npx landing-etl runs/status --stage STAGE) and checks GET <HttpApiUrl>/get?user=<user>
  with a token of the rows scope (npx landing-etl token --scope rows --stage STAGE).
  Prints PASS, or FAIL and what failed. Exit codes: 0 pass, 1 fail, 2 usage or stage not deployed, 3 could not run
  the check (aws CLI, credentials, upload, landing-etl CLI).

  SMOKE_TIMEOUT_SECONDS  how long to wait for the ingestion (default 1800)
  SMOKE_POLL_SECONDS     how often to look (default 10)
  SMOKE_AUTHORIZATION    Authorization header for GET /get instead ("Bearer <token>"; needed when the stage
                         trusts an issuer of its own, jwtIssuerUrl)`;

/** Every run lands a new version of this one object: its load replaces the rows the previous smoke run loaded, so
 *  what the smoke test leaves in the database is the last run's 3 rows, never more. */
export const SMOKE_KEY = 'dailycheckin/smoke/landing-etl-smoke.csv';
export const SMOKE_PROJECT = 'landing-etl-smoke';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Stage names as osls accepts them (lib/utils/validate-stage.js). */
const STAGE = /^[a-zA-Z0-9-]+$/;

export function parseSmokeArgs(argv: string[]): { stage: string; region: string | undefined } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { region: { type: 'string' } } });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [stage, ...extra] = parsed.positionals;
  if (!stage) throw new UsageError('missing STAGE');
  if (extra.length) throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.join(' ')}`);
  if (!STAGE.test(stage)) throw new UsageError(`"${stage}" is not a stage name (ASCII letters, digits and -)`);
  const region = parsed.values.region;
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new UsageError(`"${region}" is not an AWS region`);
  return { stage, region };
}

export interface ExpectedRow {
  user: string;
  project: string;
  hours: number;
  /** As the API renders it: UTC, microseconds. */
  timestamp: string;
}

/** The file a run lands: a header and 3 valid, distinct rows (the executor refuses empty files and the quality gate
 *  wants at least min_rows = 1 accepted), all for one synthetic user named after the run. */
export function smokeFile(now: Date, nonce: string): { user: string; key: string; csv: string; rows: ExpectedRow[] } {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const user = `smoke-${stamp}-${nonce}`;
  const date = now.toISOString().slice(0, 10);
  const lines = [
    { at: '08:00:00', fraction: '', hours: '1.50' },
    { at: '12:30:15', fraction: '.5', hours: '2.25' },
    { at: '17:45:59', fraction: '.123456', hours: '0.75' },
  ];
  const csv = ['user,timestamp,hours,project', ...lines.map((l) => `${user},${date} ${l.at}${l.fraction} UTC,${l.hours},${SMOKE_PROJECT}`)].join('\n');
  const rows = lines
    .map((l) => ({ user, project: SMOKE_PROJECT, hours: Number(l.hours), timestamp: `${date}T${l.at}.${l.fraction.slice(1).padEnd(6, '0')}Z` }))
    .reverse(); // the API answers newest first
  return { user, key: SMOKE_KEY, csv: `${csv}\n`, rows };
}

/** GET <HttpApiUrl>/get?user=<user> (the output may or may not end with a slash). */
export function queryUrl(httpApiUrl: string, user: string): string {
  return `${httpApiUrl.replace(/\/+$/, '')}/get?user=${encodeURIComponent(user)}`;
}

/** What is wrong with the API's answer for the synthetic user; empty when it holds exactly the rows landed. */
export function rowProblems(status: number, body: string, expected: ExpectedRow[]): string[] {
  if (status !== 200) return [`answered HTTP ${status}: ${body.slice(0, 300)}`];
  let rows: unknown;
  try {
    rows = (JSON.parse(body) as { response?: unknown }).response;
  } catch {
    return [`answered 200 with a body that is not JSON: ${body.slice(0, 300)}`];
  }
  if (!Array.isArray(rows)) return [`answered 200 without a "response" list: ${body.slice(0, 300)}`];
  const problems: string[] = [];
  if (rows.length !== expected.length) problems.push(`returned ${rows.length} rows, expected ${expected.length}`);
  expected.forEach((want, i) => {
    const got = rows[i] as Record<string, unknown> | undefined;
    if (!got) return;
    const wrong = (['user', 'project', 'hours', 'timestamp'] as const).filter((f) => got[f] !== want[f]);
    if (wrong.length) problems.push(`row ${i + 1}: ${wrong.map((f) => `${f} ${JSON.stringify(got[f])}, expected ${JSON.stringify(want[f])}`).join('; ')}`);
  });
  return problems;
}

interface Summary {
  ingestionId: string;
  sourceVersion?: string;
  status: string;
  stage?: string;
  error?: string;
  cause?: string;
}

/** The verdict on a finished ingestion and the API's answer: PASS, or FAIL with what failed. */
export function verdict(summary: Summary, api: { url: string; status: number; body: string }, expected: ExpectedRow[]): { pass: boolean; reason: string } {
  if (summary.status !== 'SUCCEEDED') {
    const where = summary.stage ? ` at ${summary.stage}` : '';
    const why = [summary.error, summary.cause].filter(Boolean).join(': ') || 'no reason recorded';
    return { pass: false, reason: `ingestion ${summary.ingestionId} ${summary.status}${where}: ${why}` };
  }
  const problems = rowProblems(api.status, api.body, expected);
  if (problems.length) return { pass: false, reason: `ingestion ${summary.ingestionId} SUCCEEDED but GET ${api.url} ${problems.join('; ')}` };
  return { pass: true, reason: `ingestion ${summary.ingestionId} SUCCEEDED and GET ${api.url} returned its ${expected.length} rows` };
}

export interface Ports {
  run(command: 'aws' | 'npx', args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }>;
  now(): Date;
  sleep(ms: number): Promise<void>;
  nonce(): string;
  out(line: string): void;
  env: Record<string, string | undefined>;
}

class Stop extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const seconds = (env: Record<string, string | undefined>, name: string, fallback: number) => {
  const raw = env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${name} must be a positive number of seconds, got "${raw}"`);
  return value * 1000;
};

/** Runs the smoke test and returns its exit code, having printed PASS or FAIL and why as the last line. */
export async function smoke(argv: string[], ports: Ports): Promise<number> {
  let stage: string;
  let region: string | undefined;
  let timeoutMs: number;
  let pollMs: number;
  try {
    ({ stage, region } = parseSmokeArgs(argv));
    timeoutMs = seconds(ports.env, 'SMOKE_TIMEOUT_SECONDS', 1800);
    pollMs = seconds(ports.env, 'SMOKE_POLL_SECONDS', 10);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    ports.out(`smoke-aws: ${e.message}\n${USAGE}`);
    return EXIT.usage;
  }
  const regionArgs = region ? ['--region', region] : [];
  const cli = async (args: string[]) => {
    const r = await ports.run('npx', ['landing-etl', ...args, '--stage', stage, ...regionArgs, '--json']);
    if (r.code !== 0) throw new Stop(EXIT.error, `npx landing-etl ${args.join(' ')} --stage ${stage} failed (exit ${r.code}): ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as unknown;
  };
  try {
    // 1. The stage's outputs.
    const stackName = `landing-etl-${stage}`;
    const described = await ports.run('aws', ['cloudformation', 'describe-stacks', '--stack-name', stackName, ...regionArgs, '--output', 'json']);
    if (described.code !== 0) {
      if (/does not exist/.test(described.stderr)) {
        ports.out(`smoke-aws: stage "${stage}" is not deployed${region ? ` in ${region}` : ''}: no CloudFormation stack ${stackName}\n${USAGE}`);
        return EXIT.usage;
      }
      throw new Stop(EXIT.error, `aws cloudformation describe-stacks --stack-name ${stackName} failed: ${described.stderr.trim()}`);
    }
    const stack = (JSON.parse(described.stdout) as { Stacks?: Array<{ Outputs?: Array<{ OutputKey?: string; OutputValue?: string }> }> }).Stacks?.[0];
    const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    const missing = ['LandingBucketName', 'HttpApiUrl'].filter((k) => !outputs[k]);
    if (missing.length) throw new Stop(EXIT.error, `stack ${stackName} has no output ${missing.join(', ')}: is it a landing-etl deployment?`);
    const bucket = outputs.LandingBucketName!;
    const apiUrl = outputs.HttpApiUrl!;
    // Before anything is landed: a stage the script cannot call leaves nothing behind.
    const headers = await rowsAuthorization(stage, regionArgs, outputs, ports);

    // 2. Land the file.
    const file = smokeFile(ports.now(), ports.nonce());
    const uri = `s3://${bucket}/${file.key}`;
    const dir = mkdtempSync(join(tmpdir(), 'landing-etl-smoke-'));
    let put;
    try {
      writeFileSync(join(dir, 'landing-etl-smoke.csv'), file.csv);
      put = await ports.run('aws', ['s3api', 'put-object', '--bucket', bucket, '--key', file.key, '--body', join(dir, 'landing-etl-smoke.csv'),
        '--content-type', 'text/csv', ...regionArgs, '--output', 'json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (put.code !== 0) throw new Stop(EXIT.error, `upload to ${uri} failed: ${put.stderr.trim()}`);
    const version = (JSON.parse(put.stdout) as { VersionId?: string }).VersionId;
    if (!version) throw new Stop(EXIT.error, `the upload to ${uri} returned no version id: is the landing bucket versioned?`);
    ports.out(`landed ${uri} (version ${version}) for user ${file.user}`);

    // 3. Follow its ingestion in the run log.
    const started = ports.now().getTime();
    const waited = () => Math.round((ports.now().getTime() - started) / 1000);
    const overdue = () => ports.now().getTime() - started > timeoutMs;
    let summary: Summary | undefined;
    for (;;) {
      const { items } = (await cli(['runs', '--object', uri, '--limit', '20'])) as { items: Summary[] };
      summary = items.find((s) => s.sourceVersion === version);
      if (summary) break;
      if (overdue()) {
        return fail(ports, `no ingestion of ${uri} version ${version} in the run log after ${waited()}s: the executor did not record the upload (see its logs and the landing-etl-${stage}-executor-failures queue)`);
      }
      await ports.sleep(pollMs);
    }
    const id = summary.ingestionId;
    let last = '';
    for (;;) {
      summary = ((await cli(['status', id])) as { summary: Summary }).summary;
      const now = `${summary.status}${summary.stage ? ` at ${summary.stage}` : ''}`;
      if (now !== last) ports.out(`ingestion ${id}: ${now} (${waited()}s)`);
      last = now;
      if (!['RECEIVED', 'RUNNING'].includes(summary.status)) break;
      if (overdue()) return fail(ports, `ingestion ${id} still ${now} after ${waited()}s (npx landing-etl status ${id} --stage ${stage})`);
      await ports.sleep(pollMs);
    }

    // 4. Read the rows back.
    const url = queryUrl(apiUrl, file.user);
    const answer = summary.status === 'SUCCEEDED' ? await ports.get(url, headers) : { status: 0, body: '' };
    const result = verdict(summary, { url, ...answer }, file.rows);
    if (!result.pass) return fail(ports, `${result.reason} (npx landing-etl status ${id} --stage ${stage})`);
    ports.out(
      `left on stage ${stage}: the ${file.rows.length} rows of user ${file.user} loaded from ${uri} (the next smoke run's ` +
        `replace them), that object's current version, ingestion ${id} in the run log, its staging data (expires) and ` +
        'one success notification on the alerts topic',
    );
    ports.out(`PASS: stage ${stage}: ${result.reason} in ${waited()}s`);
    return EXIT.pass;
  } catch (e) {
    if (e instanceof Stop) {
      ports.out(`FAIL: could not run the smoke test: ${e.message}`);
      return e.code;
    }
    throw e;
  }
}

/** The headers GET /get needs on the stage, by what its outputs say of its authentication: SMOKE_AUTHORIZATION when
 *  set; a token of its own user pool's rows client (apiAuth=jwt, the default); none when it is anonymous. */
async function rowsAuthorization(
  stage: string,
  regionArgs: string[],
  outputs: Record<string, string | undefined>,
  ports: Ports,
): Promise<Record<string, string>> {
  const given = ports.env.SMOKE_AUTHORIZATION;
  if (given) return { authorization: given };
  if (outputs.ApiTokenEndpoint) {
    const r = await ports.run('npx', ['landing-etl', 'token', '--scope', 'rows', '--stage', stage, ...regionArgs]);
    if (r.code !== 0) throw new Stop(EXIT.error, `npx landing-etl token --scope rows --stage ${stage} failed (exit ${r.code}): ${r.stderr.trim()}`);
    return { authorization: `Bearer ${r.stdout.trim()}` };
  }
  if (outputs.ApiRowsScope) {
    throw new Stop(EXIT.error, `stage ${stage} trusts the issuer it was given (jwtIssuerUrl): set SMOKE_AUTHORIZATION="Bearer <a token of scope ${outputs.ApiRowsScope}>"`);
  }
  if (outputs.ApiRowsPolicyArn) throw new Stop(EXIT.error, `stage ${stage} takes SigV4-signed requests (apiAuth=iam), which this script does not send`);
  return {};
}

function fail(ports: Ports, reason: string): number {
  ports.out(`FAIL: ${reason}`);
  return EXIT.fail;
}
