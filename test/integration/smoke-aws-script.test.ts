import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// scripts/smoke-aws.sh run whole, as a user runs it, with stand-ins for what it cannot reach here: an `aws` and an
// `npx` on PATH that answer like the AWS CLI and the landing-etl CLI (and record how they were called), and the
// stage's HTTP API as a local server that serves the rows of the file the fake `aws` received.

const LANDING = 'landing-etl-dev-landing-123456789012-eu-west-1';
const VERSION = 'v-smoke-2';

let dir: string;
let server: Server;
let apiUrl: string;
let api: { mode: 'rows' | 'missing-row' | '503'; requests: string[] };

const FAKE_AWS = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_DIR/aws.calls"
if [ "$1 $2" = "cloudformation describe-stacks" ]; then
  if [ -n "\${FAKE_NO_STACK:-}" ]; then
    echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id $4 does not exist" >&2; exit 254
  fi
  printf '{"Stacks":[{"StackName":"%s","Outputs":[{"OutputKey":"RunLogTableName","OutputValue":"landing-etl-dev-runlog"},{"OutputKey":"LandingBucketName","OutputValue":"${LANDING}"},{"OutputKey":"HttpApiUrl","OutputValue":"%s"},{"OutputKey":"ApiTokenEndpoint","OutputValue":"https://landing-etl-dev-123456789012.auth.eu-west-1.amazoncognito.com/oauth2/token"}]}]}\\n' "$4" "$FAKE_API_URL"
  exit 0
fi
if [ "$1 $2" = "s3api put-object" ]; then
  if [ -n "\${FAKE_UPLOAD_DENIED:-}" ]; then echo "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied" >&2; exit 254; fi
  while [ $# -gt 0 ]; do case "$1" in --body) cp "$2" "$FAKE_DIR/uploaded.csv"; shift;; --key) echo "$2" > "$FAKE_DIR/uploaded.key"; shift;; esac; shift; done
  echo '{"ETag": "\\"0123\\"", "VersionId": "${VERSION}"}'
  exit 0
fi
echo "fake aws: unexpected $*" >&2; exit 99
`;

const FAKE_NPX = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_DIR/npx.calls"
[ "$1" = landing-etl ] || { echo "fake npx: unexpected $*" >&2; exit 99; }
case "$2" in
  token)
    if [ -n "\${FAKE_NO_TOKEN:-}" ]; then echo "landing-etl: cognito-idp:DescribeUserPoolClient: AccessDeniedException" >&2; exit 1; fi
    echo "fake-rows-token" ;;
  runs)
    if [ -n "\${FAKE_NEVER_RECORDED:-}" ]; then echo '{"items":[],"nextCursor":null}'; exit 0; fi
    echo '{"items":[{"ingestionId":"dailycheckin-20261121-new","sourceVersion":"${VERSION}","status":"RECEIVED"},{"ingestionId":"dailycheckin-20261120-old","sourceVersion":"v-smoke-1","status":"SUCCEEDED"}],"nextCursor":null}' ;;
  status)
    n=$(( $(cat "$FAKE_DIR/status.count" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$FAKE_DIR/status.count"
    if [ "$n" -lt 3 ]; then echo '{"summary":{"ingestionId":"'"$3"'","status":"RUNNING","stage":"transform"},"stages":[],"attempts":[]}'
    else echo "\${FAKE_FINAL}"; fi ;;
  *) echo "fake npx: unexpected $*" >&2; exit 99 ;;
esac
`;

const SUCCEEDED = '{"summary":{"ingestionId":"dailycheckin-20261121-new","status":"SUCCEEDED","stage":"load"},"stages":[],"attempts":[]}';

/** The rows a load of the uploaded CSV serves, rendered as the query API renders them (newest first). */
function rowsOfUpload(user: string): string[] {
  const path = join(dir, 'uploaded.csv');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','))
    .filter(([u]) => u === user)
    .map(([u, ts, hours, project]) => {
      const [, day, time, fraction = ''] = /^(\S+) (\d\d:\d\d:\d\d)(?:\.(\d+))? UTC$/.exec(ts!)!;
      return { ts: `${day}T${time}.${fraction.padEnd(6, '0')}Z`, json: `{"user":${JSON.stringify(u)},"project":${JSON.stringify(project)},"hours":${hours},"timestamp":"${day}T${time}.${fraction.padEnd(6, '0')}Z"}` };
    })
    .sort((a, b) => b.ts.localeCompare(a.ts))
    .map((r) => r.json);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smoke-aws-'));
  writeFileSync(join(dir, 'aws'), FAKE_AWS);
  writeFileSync(join(dir, 'npx'), FAKE_NPX);
  chmodSync(join(dir, 'aws'), 0o755);
  chmodSync(join(dir, 'npx'), 0o755);
  server = createServer((req, res) => {
    api.requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    // As the stage's JWT authorizer: GET /get takes a token of the rows scope only.
    if (req.headers.authorization !== 'Bearer fake-rows-token') return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Unauthorized"}');
    if (api.mode === '503') return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"service_unavailable","message":"try again"}');
    const rows = rowsOfUpload(url.searchParams.get('user') ?? '');
    const served = api.mode === 'missing-row' ? rows.slice(1) : rows;
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{"response":[${served.join(',')}],"nextCursor":null}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  api = { mode: 'rows', requests: [] };
  for (const f of ['aws.calls', 'npx.calls', 'status.count', 'uploaded.csv', 'uploaded.key']) writeFileSync(join(dir, f), '');
  writeFileSync(join(dir, 'status.count'), '0');
});

function smoke(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; lines: string[] }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['scripts/smoke-aws.sh', ...args], {
      env: {
        ...process.env,
        PATH: `${dir}:${process.env.PATH}`,
        FAKE_DIR: dir,
        FAKE_API_URL: apiUrl,
        FAKE_FINAL: SUCCEEDED,
        SMOKE_POLL_SECONDS: '0.01',
        SMOKE_TIMEOUT_SECONDS: '30',
        ...env,
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out, lines: out.trim().split('\n') }));
  });
}

const calls = (tool: 'aws' | 'npx') => readFileSync(join(dir, `${tool}.calls`), 'utf8').trim().split('\n').filter(Boolean);

test('without a stage, with an unknown option or a stage that is not deployed it prints the usage and exits 2', async () => {
  for (const args of [[], ['dev', '--bogus'], ['not_a_stage']]) {
    const { code, out } = await smoke(args);
    expect(code).toBe(2);
    expect(out).toContain('usage: scripts/smoke-aws.sh STAGE [--region REGION]');
  }
  expect(calls('aws')).toEqual([]);
  const missing = await smoke(['qa', '--region', 'eu-west-1'], { FAKE_NO_STACK: '1' });
  expect(missing.code).toBe(2);
  expect(missing.out).toContain('stage "qa" is not deployed in eu-west-1: no CloudFormation stack landing-etl-qa');
  expect(calls('aws')).toEqual(['cloudformation describe-stacks --stack-name landing-etl-qa --region eu-west-1 --output json']);
});

test('lands the file under the dedicated key, follows that version\'s ingestion and passes when the API returns its rows', async () => {
  const { code, lines } = await smoke(['dev', '--region', 'eu-west-1']);
  expect(lines.at(-1)).toMatch(/^PASS: stage dev: ingestion dailycheckin-20261121-new SUCCEEDED and GET http:\/\/127\.0\.0\.1:\d+\/get\?user=smoke-\d{8}T\d{6}Z-[0-9a-f]{6} returned its 3 rows in \d+s$/);
  expect(code).toBe(0);

  // The file: the header and 3 rows of one synthetic user, at the dedicated key.
  expect(readFileSync(join(dir, 'uploaded.key'), 'utf8').trim()).toBe('dailycheckin/smoke/landing-etl-smoke.csv');
  const csv = readFileSync(join(dir, 'uploaded.csv'), 'utf8').trim().split('\n');
  expect(csv[0]).toBe('user,timestamp,hours,project');
  expect(csv).toHaveLength(4);
  const user = csv[1]!.split(',')[0]!;
  expect(csv.slice(1).every((l) => l.startsWith(`${user},`))).toBe(true);
  expect(lines).toContain(`landed s3://${LANDING}/dailycheckin/smoke/landing-etl-smoke.csv (version ${VERSION}) for user ${user}`);

  // A rows token of the stage first, then followed with the landing-etl CLI, by the uploaded version; then the API
  // for that user, with the token.
  const object = `s3://${LANDING}/dailycheckin/smoke/landing-etl-smoke.csv`;
  expect(calls('npx').slice(0, 2)).toEqual([
    'landing-etl token --scope rows --stage dev --region eu-west-1',
    `landing-etl runs --object ${object} --limit 20 --stage dev --region eu-west-1 --json`,
  ]);
  expect(calls('npx').slice(2)).toEqual(Array(3).fill('landing-etl status dailycheckin-20261121-new --stage dev --region eu-west-1 --json'));
  expect(lines.filter((l) => /^ingestion dailycheckin-20261121-new: (RUNNING at transform|SUCCEEDED at load) \(\d+s\)$/.test(l))).toHaveLength(2);
  expect(api.requests).toEqual([`/get?user=${user}`]);
  expect(lines.join('\n')).toContain(`left on stage dev: the 3 rows of user ${user} loaded from ${object} (the next smoke run's replace them)`);
});

test('fails with the stage and cause when the ingestion fails', async () => {
  const failed = '{"summary":{"ingestionId":"dailycheckin-20261121-new","status":"FAILED","stage":"load","error":"Glue job run FAILED","cause":"OperationalError: connection refused"},"stages":[],"attempts":[]}';
  const { code, lines } = await smoke(['dev'], { FAKE_FINAL: failed });
  expect(code).toBe(1);
  expect(lines.at(-1)).toBe(
    'FAIL: ingestion dailycheckin-20261121-new FAILED at load: Glue job run FAILED: OperationalError: connection refused (npx landing-etl status dailycheckin-20261121-new --stage dev)',
  );
  expect(api.requests).toEqual([]);
});

test('fails when the API misses a row or answers an error', async () => {
  api.mode = 'missing-row';
  const missing = await smoke(['dev']);
  expect(missing.code).toBe(1);
  expect(missing.lines.at(-1)).toMatch(/^FAIL: ingestion dailycheckin-20261121-new SUCCEEDED but GET \S+ returned 2 rows, expected 3; row 1: /);

  api.mode = '503';
  const down = await smoke(['dev']);
  expect(down.code).toBe(1);
  expect(down.lines.at(-1)).toContain('answered HTTP 503: {"error":"service_unavailable","message":"try again"}');
});

test('without a token for the API it exits 3 before landing anything; SMOKE_AUTHORIZATION is sent instead when set', async () => {
  const denied = await smoke(['dev'], { FAKE_NO_TOKEN: '1' });
  expect(denied.code).toBe(3);
  expect(denied.lines.at(-1)).toBe(
    'FAIL: could not run the smoke test: npx landing-etl token --scope rows --stage dev failed (exit 1): landing-etl: cognito-idp:DescribeUserPoolClient: AccessDeniedException',
  );
  expect(calls('aws').filter((c) => c.startsWith('s3api'))).toEqual([]);

  const asked = calls('npx').length;
  const wrong = await smoke(['dev'], { SMOKE_AUTHORIZATION: 'Bearer expired' });
  expect(wrong.code).toBe(1);
  expect(wrong.lines.at(-1)).toContain('answered HTTP 401: {"message":"Unauthorized"}');
  expect(calls('npx').slice(asked).filter((c) => c.includes(' token '))).toEqual([]);
});

test('fails when the upload never reaches the run log, and exits 3 when it cannot upload at all', async () => {
  const silent = await smoke(['dev'], { FAKE_NEVER_RECORDED: '1', SMOKE_TIMEOUT_SECONDS: '0.3' });
  expect(silent.code).toBe(1);
  expect(silent.lines.at(-1)).toMatch(/^FAIL: no ingestion of s3:\/\/\S+ version v-smoke-2 in the run log after \d+s: the executor did not record the upload/);

  const followed = calls('npx').length;
  const denied = await smoke(['dev'], { FAKE_UPLOAD_DENIED: '1' });
  expect(denied.code).toBe(3);
  expect(denied.lines.at(-1)).toBe(
    `FAIL: could not run the smoke test: upload to s3://${LANDING}/dailycheckin/smoke/landing-etl-smoke.csv failed: An error occurred (AccessDenied) when calling the PutObject operation: Access Denied`,
  );
  expect(calls('npx').slice(followed)).toEqual(['landing-etl token --scope rows --stage dev']); // it follows no run it did not land
});
