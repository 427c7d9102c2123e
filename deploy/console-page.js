// Builds the operator page (functions/console/page/) into .build/console/: index.html and its script and styles,
// bundled and minified by esbuild (uPlot included) under content-hashed names, so the console function can serve them
// with long-lived caching. Runs while serverless.yml is resolved (`${consolePage:hash}`), like the Glue artifacts.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildSync } from 'esbuild';

export const CONSOLE_DIR = join('.build', 'console');

/** The page's size budget, in bytes: what a browser downloads before the first view (gzip, as API Gateway and
 *  browsers negotiate it), and each file's minified size. test/unit/console-page.test.ts holds the build to it. */
export const BUDGET = { gzipTotal: 45_000, script: 110_000, styles: 12_000 };

export function buildConsolePage(serviceDir) {
  const page = join(serviceDir, 'functions', 'console', 'page');
  const out = join(serviceDir, CONSOLE_DIR);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = buildSync({
    entryPoints: [join(page, 'main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome120', 'firefox120', 'safari17'],
    outdir: out,
    entryNames: 'app.[hash]',
    assetNames: 'app.[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const files = Object.keys(result.metafile.outputs).map((f) => basename(f));
  const script = files.find((f) => f.endsWith('.js'));
  const styles = files.find((f) => f.endsWith('.css'));
  const html = readFileSync(join(page, 'index.html'), 'utf8').replace('{{script}}', `assets/${script}`).replace('{{styles}}', `assets/${styles}`);
  writeFileSync(join(out, 'index.html'), html);
  const hash = createHash('sha256');
  for (const f of [...files, 'index.html'].sort()) hash.update(f).update(readFileSync(join(out, f)));
  return { hash: hash.digest('hex').slice(0, 16), files: [...files, 'index.html'] };
}
