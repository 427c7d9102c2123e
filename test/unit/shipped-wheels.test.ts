import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A repository folder with two builds of the Glue artifacts, of which the packaged stages name only `current`. */
function repoWithTwoBuilds(current: string, older: string) {
  const root = mkdtempSync(join(tmpdir(), 'landing-etl-wheels-'));
  const wheels = { [older]: ['psycopg-3.1.0-py3-none-any.whl'], [current]: ['psycopg-3.3.9-py3-none-any.whl', 'pyarrow-21.0.0-cp311-cp311-manylinux_2_28_x86_64.whl'] };
  for (const [hash, files] of Object.entries(wheels)) {
    mkdirSync(join(root, '.build/glue-artifacts', hash, 'wheels'), { recursive: true });
    for (const f of files) writeFileSync(join(root, '.build/glue-artifacts', hash, 'wheels', f), '');
  }
  for (const stage of ['dev', 'prod']) {
    const modules = wheels[current]!.map((f) => `s3://\${ServerlessDeploymentBucket}/glue/${current}/wheels/${f}`).join(',');
    const template = {
      Resources: {
        LoadJob: { Type: 'AWS::Glue::Job', Properties: { DefaultArguments: { '--additional-python-modules': { 'Fn::Sub': modules } } } },
        TransformJob: { Type: 'AWS::Glue::Job', Properties: { DefaultArguments: { '--job-language': 'python' } } },
      },
    };
    mkdirSync(join(root, '.build/package', stage), { recursive: true });
    writeFileSync(join(root, '.build/package', stage, 'cloudformation-template-update-stack.json'), JSON.stringify(template));
  }
  return root;
}

const shipped = (root: string) => execFileSync(process.execPath, ['scripts/shipped-wheels.mjs', root], { encoding: 'utf8' }).trim().split('\n');

test('the audited wheels are those the packaged stages ship, not the build folder that sorts first', () => {
  // The older build's hash sorts first.
  expect(shipped(repoWithTwoBuilds('ffff000000000000', '0000ffffffffffff'))).toEqual(['psycopg==3.3.9', 'pyarrow==21.0.0']);
  expect(shipped(repoWithTwoBuilds('0000ffffffffffff', 'ffff000000000000'))).toEqual(['psycopg==3.3.9', 'pyarrow==21.0.0']);
});

test('with no packaged stage there is nothing to say what ships, and it fails saying so', () => {
  const root = mkdtempSync(join(tmpdir(), 'landing-etl-wheels-'));
  expect(() => execFileSync(process.execPath, ['scripts/shipped-wheels.mjs', root], { stdio: 'pipe' })).toThrow(/npm run package/);
});
