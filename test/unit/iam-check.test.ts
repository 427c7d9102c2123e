import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallsFileError, checkCalls, loadStage, parseCalls, type RecordedCall, type Verdict } from '../../local/iam-check';
import { describeDenial, textReport } from '../../local/iam-report';
import { readPackagedTemplate, type Template } from '../../local/template';

// The real packaged templates (npm run package writes them), with synthetic recorded calls in the dev names the
// local stack records them in.
const devTemplate = readPackagedTemplate('.build/package/dev');
const prodTemplate = readPackagedTemplate('.build/package/prod');
const dev = loadStage(devTemplate, { stage: 'dev' });
const prod = loadStage(prodTemplate, { stage: 'prod' });

const ACCOUNT = '123456789012';
const runLog = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/landing-etl-dev-runlog`;
const dataBucket = `landing-etl-dev-data-${ACCOUNT}-us-east-1`;
const accepted = `arn:aws:s3:::${dataBucket}/staging/dailycheckin/ing-1/accepted/part-0.parquet`;

let line = 0;
const call = (principal: string, action: string, resource: string, caller = 'test-caller', test = 'test/e2e/pipeline.test.ts'): RecordedCall => ({
  principal,
  action,
  resource,
  status: 200,
  caller,
  test,
  source: `calls.jsonl:${++line}`,
});

const verdict = (result: Awaited<ReturnType<typeof checkCalls>>, stage: string, principal: string, action: string): Verdict[] =>
  result.stages.find((s) => s.stage === stage)!.verdicts.filter((v) => v.principal === principal && v.action === action);

test('an allowed call is allowed in both stages, on each stage\'s own resource, by the statement that grants it', async () => {
  const result = await checkCalls([call('ExecutorRole', 'dynamodb:PutItem', runLog)], [dev, prod]);
  const [inDev] = verdict(result, 'dev', 'ExecutorRole', 'dynamodb:PutItem');
  const [inProd] = verdict(result, 'prod', 'ExecutorRole', 'dynamodb:PutItem');
  expect(inDev).toMatchObject({ allowed: true, resource: runLog });
  expect(inProd).toMatchObject({ allowed: true, resource: prod.template.getAtt('RunLogTable', 'Arn') });
  expect(inProd!.resource).toContain('landing-etl-prod-runlog');
  expect(inDev!.matched.map((m) => m.sid)).toEqual(['RecordIngestion']);
  expect(inProd!.matched.map((m) => m.sid)).toEqual(['RecordIngestion']);
});

test('reports dynamodb:UpdateItem by IngestionsRole on the run log as denied, naming stage, principal, action, resource, caller and test', async () => {
  const result = await checkCalls(
    [call('IngestionsRole', 'dynamodb:UpdateItem', runLog, 'ingestions', 'test/integration/run-log-reads.test.ts')],
    [dev, prod],
  );
  for (const stage of ['dev', 'prod']) {
    const [v] = verdict(result, stage, 'IngestionsRole', 'dynamodb:UpdateItem');
    expect(v!.allowed).toBe(false);
    const text = describeDenial(v!, result.stages.find((s) => s.stage === stage)!).join('\n');
    expect(text).toContain(`[${stage}] IngestionsRole dynamodb:UpdateItem arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/landing-etl-${stage}-runlog`);
    expect(text).toContain('called by ingestions in test/integration/run-log-reads.test.ts');
  }
  const report = textReport(result, [dev, prod], ['calls.jsonl']);
  expect(report).toContain('FAILED: 2 denied call(s)');
});

test('canonicalizes a dev secret ARN with moto\'s random suffix and translates it to prod\'s dbReaderSecretArn', async () => {
  const recorded = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:landing-etl/dev/database-reader-Xy12Ab`;
  const result = await checkCalls([call('QueryRole', 'secretsmanager:GetSecretValue', recorded, 'query')], [dev, prod]);
  const [inDev] = verdict(result, 'dev', 'QueryRole', 'secretsmanager:GetSecretValue');
  const [inProd] = verdict(result, 'prod', 'QueryRole', 'secretsmanager:GetSecretValue');
  expect(inDev).toMatchObject({ allowed: true, resource: dev.template.ref('DatabaseReaderSecret') });
  expect(inDev!.resource).toMatch(/:secret:landing-etl\/dev\/database-reader-AbCdEf$/);
  // prod has no DatabaseReaderSecret: its query function is handed the dbReaderSecretArn parameter under the same name.
  expect(prod.template.template.Resources.DatabaseReaderSecret).toBeUndefined();
  expect(inProd).toMatchObject({ allowed: true, resource: prod.handed.get('QueryLambdaFunction DB_SECRET_ARN') });
  expect(inProd!.resource).not.toContain('/dev/');
});

test('the query role may not read the master user\'s secret in any stage', async () => {
  const master = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:landing-etl/dev/database-Xy12Ab`;
  const result = await checkCalls([call('QueryRole', 'secretsmanager:GetSecretValue', master, 'query')], [dev, prod]);
  for (const stage of ['dev', 'prod']) {
    expect(verdict(result, stage, 'QueryRole', 'secretsmanager:GetSecretValue').map((v) => v.allowed)).toEqual([false]);
  }
});

test('an S3 PutObject on the data bucket implies kms:GenerateDataKey on the bucket\'s key, allowed by the role\'s key statement', async () => {
  const result = await checkCalls([call('TestJobRole', 's3:PutObject', accepted, 'glue:landing-etl-dev-test')], [dev, prod]);
  const key = dev.template.getAtt('Key', 'Arn');
  expect(dev.encryptedBy.get(dataBucket)).toBe(key);
  for (const stage of ['dev', 'prod']) {
    const [implied] = verdict(result, stage, 'TestJobRole', 'kms:GenerateDataKey');
    expect(implied).toMatchObject({ allowed: true, resource: key, via: 's3', calls: [] });
    expect(implied!.impliedBy).toEqual([expect.objectContaining({ action: 's3:PutObject', doc: expect.stringContaining('UsingKMSEncryption') })]);
    expect(implied!.matched.map((m) => m.sid)).toEqual(['StackKey']);
  }
});

test('a denied implied call is reported as implied, with its reason and the call that needs it', async () => {
  // TestJobRole without kms:GenerateDataKey: the same template, one action fewer in its key statement.
  const changed = structuredClone(devTemplate) as Template;
  const policy = (changed.Resources.TestJobRole!.Properties!.Policies as Array<{ PolicyDocument: { Statement: Array<{ Sid: string; Action: string[] }> } }>)[0]!;
  const statement = policy.PolicyDocument.Statement.find((s) => s.Sid === 'StackKey')!;
  statement.Action = statement.Action.filter((a) => a !== 'kms:GenerateDataKey');
  const stage = loadStage(changed, { stage: 'dev' });

  const result = await checkCalls([call('TestJobRole', 's3:PutObject', accepted, 'glue:landing-etl-dev-test', 'test/e2e/lifecycle.test.ts')], [stage]);
  const [put] = verdict(result, 'dev', 'TestJobRole', 's3:PutObject');
  const [implied] = verdict(result, 'dev', 'TestJobRole', 'kms:GenerateDataKey');
  expect(put!.allowed).toBe(true);
  expect(implied!.allowed).toBe(false);
  const text = describeDenial(implied!, result.stages[0]!).join('\n');
  expect(text).toContain(`[dev] TestJobRole kms:GenerateDataKey ${stage.template.getAtt('Key', 'Arn')} (implied, via s3)`);
  expect(text).toContain(`needed by s3:PutObject ${accepted}: ${dataBucket} is SSE-KMS`);
  expect(text).toContain('called by glue:landing-etl-dev-test in test/e2e/lifecycle.test.ts');
});

test('lists the grants no call used: what the platform needs, with its reason, apart from candidates to remove', async () => {
  const result = await checkCalls([call('IngestionsRole', 'dynamodb:Query', runLog, 'ingestions')], [dev, prod]);
  for (const s of result.stages) {
    const unused = s.unused.filter((g) => g.role === 'IngestionsRole');
    const model = s.stage === 'dev' ? dev : prod;
    const table = model.template.getAtt('RunLogTable', 'Arn');
    // Query was used on the table, not on the indexes; no quality report was read.
    expect(unused).toEqual([
      expect.objectContaining({ sid: 'ReadRunLog', action: 'dynamodb:Query', resources: [`${table}/index/byDataset`, `${table}/index/byObject`], partly: true }),
      expect.objectContaining({ sid: 'ReadQualityReports', action: 's3:GetObject', partly: false }),
    ]);
    // Lambda's own log writes are needed though no call shows them.
    expect(s.platform).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ role: 'IngestionsRole', sid: 'Logs', action: 'logs:PutLogEvents', platform: expect.objectContaining({ reason: expect.stringContaining('logs') }) }),
      ]),
    );
    // The query function's VPC: Lambda uses DescribeNetworkInterfaces though no call shows it.
    expect(s.platform.some((g) => g.role === 'QueryRole' && g.action === 'ec2:DescribeNetworkInterfaces')).toBe(true);
    // No call started an execution: the executor's grant is reported as unused, all of it.
    expect(s.unused).toContainEqual(expect.objectContaining({ role: 'ExecutorRole', sid: 'StartIngestion', action: 'states:StartExecution', partly: false }));
  }
});

test('translates every name of the sample calls file into prod names', async () => {
  const calls = parseCalls(readFileSync('test/fixtures/aws-calls.sample.jsonl', 'utf8'), 'sample');
  const result = await checkCalls(calls, [dev, prod]);
  const inProd = result.stages.find((s) => s.stage === 'prod')!;
  expect(inProd.warnings).toEqual([]);
  expect(inProd.verdicts.filter((v) => /landing-etl[-/]dev\b/.test(v.resource))).toEqual([]);
  expect(result.ignored).toEqual({ LocalUser: 2, anonymous: 1 });
});

test('a malformed line fails with its file and line number', () => {
  const text = [JSON.stringify({ principal: 'ExecutorRole', action: 'dynamodb:PutItem', resource: runLog }), '', '{"principal": "ExecutorRole", "action": 5}'].join('\n');
  expect(() => parseCalls(text, 'calls.jsonl')).toThrow(new CallsFileError('calls.jsonl:3: "action" must be a non-empty string'));
  expect(() => parseCalls('not json\n', 'other.jsonl')).toThrow(/^other\.jsonl:1: not a JSON object/);
});

describe('scripts/check-iam.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'check-iam-'));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-iam.ts', ...args], { encoding: 'utf8', timeout: 60_000 });

  test('exits 1 on a denied call and writes the docs page; 2 on a malformed file', () => {
    const calls = join(dir, 'calls.jsonl');
    writeFileSync(calls, `${JSON.stringify(call('IngestionsRole', 'dynamodb:UpdateItem', runLog, 'ingestions'))}\n`);
    const docs = join(dir, 'iam.md');
    const denied = run(calls, '--docs', docs);
    expect(denied.status).toBe(1);
    expect(denied.stdout).toContain('[prod] IngestionsRole dynamodb:UpdateItem');
    expect(readFileSync(docs, 'utf8')).toContain('## IngestionsRole');

    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"principal": "QueryRole"}\n');
    const malformed = run(bad);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toContain(`${bad}:1: "action" must be a non-empty string`);
  });
});
