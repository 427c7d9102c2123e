// Builds the operator page (functions/console/page/) into .build/console/: index.html and its script and styles,
// bundled and minified by esbuild (uPlot included, in a chunk only the datasets view imports) under content-hashed
// names, so the console function can serve them with long-lived caching. Runs while serverless.yml is resolved (`${consolePage:hash}`), like the Glue artifacts.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildSync } from 'esbuild';

export const CONSOLE_DIR = join('.build', 'console');

/** The page's size budget, in bytes: all its files (gzip, as API Gateway and browsers negotiate it), each script's
 *  and the styles' minified size, and what the ingestion views load before they show (the entry script and the chunks
 *  it imports, minified; the datasets view adds uPlot's chunk). test/unit/console-page.test.ts holds the build to it. */
export const BUDGET = { gzipTotal: 45_000, script: 110_000, styles: 12_000, entry: 20_000 };

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
    splitting: true,
    entryNames: 'app.[hash]',
    chunkNames: 'chunk.[hash]',
    assetNames: 'app.[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const outputs = result.metafile.outputs;
  const files = Object.keys(outputs).map((f) => basename(f));
  const entry = Object.keys(outputs).find((f) => outputs[f].entryPoint);
  const styles = files.find((f) => f.endsWith('.css'));
  // The chunks the entry imports statically are announced with the page, so they load beside it, not after it.
  const preloads = outputs[entry].imports
    .filter((i) => i.kind === 'import-statement')
    .map((i) => `<link rel="modulepreload" href="assets/${basename(i.path)}">`)
    .join('\n');
  const html = readFileSync(join(page, 'index.html'), 'utf8')
    .replace('{{script}}', `assets/${basename(entry)}`)
    .replace('{{styles}}', `assets/${styles}`)
    .replace('{{preloads}}', preloads);
  writeFileSync(join(out, 'index.html'), html);
  const hash = createHash('sha256');
  for (const f of [...files, 'index.html'].sort()) hash.update(f).update(readFileSync(join(out, f)));
  return { hash: hash.digest('hex').slice(0, 16), files: [...files, 'index.html'] };
}
