import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
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
