import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { at, loadTemplate, text } from './template';

const BUILD = `import('./deploy/glue-artifacts.js').then((m) => console.log(JSON.stringify(m.buildGlueArtifacts(process.cwd()))))`;
const buildSchema = z.object({ hash: z.string(), files: z.array(z.string()) });
const build = () => buildSchema.parse(JSON.parse(execFileSync(process.execPath, ['-e', BUILD], { encoding: 'utf8' })));

test('the Glue artifacts are addressed by their content: rebuilding the same sources gives the hash the template names', () => {
  const first = build();
  const second = build();
  expect(second).toEqual(first);
  const scriptLocation = text(at(loadTemplate('prod').Resources.LoadJob?.Properties, 'Command.ScriptLocation.Fn::Sub'));
  expect(scriptLocation).toBe(`s3://\${ServerlessDeploymentBucket}/glue/${first.hash}/load.py`);
  const expected = [
    'landing_etl.zip',
    ...readdirSync('glue-scripts').filter((f) => f.endsWith('.py')),
    ...readdirSync('datasets').filter((f) => f.endsWith('.json')).map((f) => `datasets/${f}`),
    ...readdirSync('migrations').filter((f) => f.endsWith('.sql')).map((f) => `migrations/${f}`),
  ];
  expect(first.files).toEqual(expect.arrayContaining(expected));
  expect(first.files.filter((f) => f.startsWith('wheels/psycopg'))).toHaveLength(2);
});

test('the database is verified on AWS: the query function by the RDS CAs of the runtime, the load job by the bundle it ships', () => {
  const { hash, files } = build();
  expect(files).toContain('rds-ca-bundle.pem');
  const pem = readFileSync(join('.build/glue-artifacts', hash, 'rds-ca-bundle.pem'), 'utf8');
  const subjects = (pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((c) => new X509Certificate(c).subject);
  // Aurora's regional CAs (eu-west-1 for one) and RDS Proxy's Amazon Root CAs.
  expect(subjects).toEqual(expect.arrayContaining([expect.stringMatching(/CN=Amazon RDS eu-west-1 Root CA RSA2048 G1/), expect.stringMatching(/CN=Amazon Root CA 1$/)]));
  for (const stage of ['dev', 'prod']) {
    const t = loadTemplate(stage);
    const env = at(t.Resources.QueryLambdaFunction?.Properties, 'Environment.Variables') as Record<string, unknown>;
    expect({ stage, DB_SSL_MODE: env.DB_SSL_MODE, NODE_EXTRA_CA_CERTS: env.NODE_EXTRA_CA_CERTS }).toEqual({
      stage,
      DB_SSL_MODE: 'verify-full',
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
    });
    const args = at(t.Resources.LoadJob?.Properties, 'NonOverridableArguments') as Record<string, unknown>;
    expect(args['--db_sslmode']).toBe('verify-full');
    expect(text(at(args, '--db_sslrootcert.Fn::Sub'))).toBe(`s3://\${ServerlessDeploymentBucket}/glue/${hash}/rds-ca-bundle.pem`);
  }
});
