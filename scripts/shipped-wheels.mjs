// Prints, one `name==version` a line, the wheels the packaged stages' Glue jobs install (`--additional-python-modules`
// of every AWS::Glue::Job in .build/package/<stage>/): what a deploy of the current build ships, for pip-audit.
// Usage: node scripts/shipped-wheels.mjs [REPO_ROOT]. Fails when no stage is packaged (run `npm run package`).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const root = process.argv[2] ?? '.';
const packages = join(root, '.build', 'package');
const templates = (existsSync(packages) ? readdirSync(packages) : [])
  .map((stage) => join(packages, stage, 'cloudformation-template-update-stack.json'))
  .filter((file) => existsSync(file));
if (!templates.length) {
  console.error(`no packaged stage under ${packages}: run \`npm run package\` first (the audit checks what ships)`);
  process.exit(1);
}

const text = (value) => (typeof value === 'string' ? value : (value?.['Fn::Sub'] ?? ''));
const wheels = new Set();
for (const file of templates) {
  for (const resource of Object.values(JSON.parse(readFileSync(file, 'utf8')).Resources ?? {})) {
    if (resource.Type !== 'AWS::Glue::Job') continue;
    const modules = text(resource.Properties?.DefaultArguments?.['--additional-python-modules']);
    for (const uri of modules.split(',').filter((m) => m.endsWith('.whl'))) {
      // A wheel's file name is {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl.
      const [name, version] = basename(uri).split('-');
      wheels.add(`${name}==${version}`);
    }
  }
}
console.log([...wheels].sort().join('\n'));
