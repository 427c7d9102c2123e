// Builds the landing-etl command from cli/ with esbuild into bin/: landing-etl.js (cli/main.ts: the command line and
// its usage) and its chunks (the commands, loaded only when one runs, so `--help` and usage errors load no AWS SDK),
// all one folder below the repository, where local/layout.ts finds the repository from import.meta.url. The
// output is the project's own code, importing only production dependencies (what `npm ci --omit=dev` installs): the
// CLI needs neither tsx nor any other devDependency, and compiles no TypeScript at start. The build is committed, as
// a user of the CLI may have no devDependencies to build it with; test/unit/cli-build.test.ts fails when it is not
// the build of the current sources. Usage: node scripts/build-cli.mjs [--check]
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const entry = 'bin/landing-etl.js';
const bin = join(root, 'bin');

/** The built files: repository path → text. */
export async function buildCli() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [{ in: 'cli/main.ts', out: 'landing-etl' }],
    outdir: 'bin',
    chunkNames: 'landing-etl-[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Production dependencies stay imports; anything else cli/ reaches is bundled, so it is never needed at run time.
    external: Object.keys(pkg.dependencies ?? {}).flatMap((name) => [name, `${name}/*`]),
    banner: { js: '#!/usr/bin/env node\n// Built by `npm run build:cli` (scripts/build-cli.mjs) from cli/: edit the sources, then rebuild.' },
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return new Map(result.outputFiles.map((f) => [relative(root, f.path), f.text]));
}

/** The files of the committed build (bin/ holds nothing else): repository path → text. */
function committed() {
  const files = readdirSync(bin).filter((f) => f.endsWith('.js'));
  return new Map(files.map((f) => [`bin/${f}`, readFileSync(join(bin, f), 'utf8')]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildCli();
  if (process.argv.includes('--check')) {
    const have = committed();
    const stale = [...new Set([...built.keys(), ...have.keys()])].filter((f) => built.get(f) !== have.get(f));
    if (stale.length) {
      console.error(`the built CLI is not the build of the current sources (${stale.sort().join(', ')}): run \`npm run build:cli\` and commit bin/`);
      process.exit(1);
    }
  } else {
    for (const f of committed().keys()) rmSync(join(root, f));
    for (const [file, text] of built) writeFileSync(join(root, file), text, { mode: file === entry ? 0o755 : 0o644 });
  }
}
