import { readFileSync } from 'node:fs';
import { loadStage } from '../../local/iam-check';
import { REGENERATE, securityTables, TABLES, withTables } from '../../local/security-tables';
import { readPackagedTemplate, type Json, type Template } from '../../local/template';
import { at } from './template';

/** docs/security.md's tables of routes, principals, resource policies, encryption and secrets are generated from the
 *  packaged templates (local/security-tables.ts): the doc must hold exactly what the templates decide. */

const DOC = 'docs/security.md';
const packaged = (stage: string) => readPackagedTemplate(`.build/package/${stage}`);
const tablesOf = (dev: Template, prod: Template) => securityTables([loadStage(dev, { stage: 'dev' }), loadStage(prod, { stage: 'prod' })]);
const rowOf = (table: string, first: RegExp) => table.split('\n').filter((line) => first.test(line.split(' | ')[0]!.slice(2)));

test('the generated tables of docs/security.md are those of the packaged dev and prod templates', () => {
  const doc = readFileSync(DOC, 'utf8');
  const tables = tablesOf(packaged('dev'), packaged('prod'));
  const stale = TABLES.filter((name) => !doc.includes(`\n${tables[name]}\n<!-- end generated:${name} -->`));
  expect({ stale, regenerate: stale.length ? `npm run package && ${REGENERATE}` : '' }).toEqual({ stale: [], regenerate: '' });
  expect(withTables(doc, tables)).toBe(doc);
});

test('a route made public, a new reader of a secret, an unencrypted bucket and a new bucket policy show in the tables', () => {
  const dev = packaged('dev');
  const changed = structuredClone(dev) as Template & { Resources: Record<string, { Properties: Record<string, Json> }> };
  const r = changed.Resources;
  delete r.HttpApiRouteGetGet!.Properties.AuthorizationType;
  delete r.HttpApiRouteGetGet!.Properties.AuthorizationScopes;
  (r.ConsoleRole!.Properties.Policies as Array<{ PolicyDocument: { Statement: Json[] } }>)[0]!.PolicyDocument.Statement.push({
    Sid: 'Oops', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: 'DatabaseSecret' },
  });
  delete r.LandingBucket!.Properties.BucketEncryption;
  ((r.DataBucketPolicy!.Properties.PolicyDocument as { Statement: Json[] }).Statement).push({
    Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: { 'Fn::Sub': '${DataBucket.Arn}/*' },
  });

  const before = tablesOf(dev, packaged('prod'));
  const after = tablesOf(changed, packaged('prod'));
  expect(rowOf(before.routes, /^`GET \/get`$/)).toEqual([expect.stringContaining('JWT, scope `landing-etl/rows`')]);
  expect(rowOf(after.routes, /^`GET \/get`$/)).toEqual([expect.stringMatching(/\[dev\] \*\*none\*\* \(public\)<br>\[prod\] JWT/)]);
  expect(rowOf(before.secrets, /^DatabaseSecret/)).toEqual([expect.stringMatching(/\| LoadJobRole \|$/)]);
  expect(rowOf(after.secrets, /^DatabaseSecret/)).toEqual([expect.stringMatching(/\| ConsoleRole, LoadJobRole \|$/)]);
  expect(rowOf(after.principals, /^ConsoleRole$/)).toEqual([expect.stringContaining('[dev] `secretsmanager:GetSecretValue` on DatabaseSecret')]);
  expect(rowOf(before.encryption, /^S3 bucket$/).find((l) => l.includes('LandingBucket'))).toMatch(/SSE-KMS with Key/);
  expect(rowOf(after.encryption, /^S3 bucket$/).find((l) => l.includes('LandingBucket'))).toMatch(/\[dev\] SSE-S3 .*<br>\[prod\] SSE-KMS with Key/);
  expect(rowOf(after['resource-policies'], /^DataBucket/)).toEqual([expect.stringMatching(/^\| DataBucket \(dev only\) \| Allow \| anyone \| `s3:GetObject` \| — \|$/)]);
});

test('a doc without a generated block is an error naming the block', () => {
  const tables = tablesOf(packaged('dev'), packaged('prod'));
  expect(() => withTables('# Security\n', tables)).toThrow(/no block <!-- generated:routes by /);
});

test('the HTTP API\'s access log records the route key, never the path, the query string or a header that names a user or a token', () => {
  for (const stage of ['dev', 'prod']) {
    const format = String(at(packaged(stage).Resources.HttpApiStage!.Properties, 'AccessLogSettings.Format'));
    const fields = Object.values(JSON.parse(format) as Record<string, string>);
    expect(fields).toContain('$context.routeKey');
    // $context.path and $context.routeKey differ only for a route with a path parameter; the query string, the
    // authorizer's claims and any header are what name a user or carry a token.
    expect(fields.filter((f) => /\$context\.(path|requestOverride|authorizer|identity\.(user|caller|cognito))|\$request\.|querystring|header/i.test(f))).toEqual([]);
  }
});
