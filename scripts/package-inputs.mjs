// The digest of every file that goes into `sls package`: the local stack repackages a stage when it changes, and
// scripts/package-stages.sh stamps each package with it. Prints the digest when run as a script.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const INPUTS = ['serverless.yml', 'package-lock.json', 'tsconfig.json', 'deploy', 'functions', 'datasets', 'glue-scripts', 'migrations', 'statemachine'];
const SKIPPED = new Set(['tests', '__pycache__', '.pytest_cache', '.ruff_cache']);

function* files(path) {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return;
  if (info.isFile()) yield path;
  else if (info.isDirectory()) {
    for (const name of readdirSync(path).sort()) if (!SKIPPED.has(name)) yield* files(join(path, name));
  }
}

export function packageInputsDigest() {
  const hash = createHash('sha256');
  for (const input of INPUTS) {
    for (const file of files(join(root, input))) hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(packageInputsDigest());
