import { build } from 'esbuild';
import { execFileSync, execSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** npm run bench:lambda — the query Lambda as serverless-esbuild bundles it (serverless.yml custom.esbuild: bundle,
 *  minify, ESM, platform node, target node22, nothing external): its size, and how long a fresh Node process takes
 *  to import it (module initialisation; the pool connects on the first request, not here). Appends to
 *  bench/results/api.jsonl. */

const BUDGET = { bytes: 300 * 1024, initMs: 150 };
const RUNS = Number(process.env.BENCH_INIT_RUNS ?? 15);
const repo = process.cwd();
const dir = mkdtempSync(join(tmpdir(), 'landing-etl-lambda-'));
const outfile = join(dir, 'handler.mjs');

try {
  await build({
    entryPoints: [join(repo, 'functions/query/handler.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outfile,
    logLevel: 'warning',
  });
  const bytes = statSync(outfile).size;

  const probe = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(outfile).href)}); console.log(performance.now() - t);`;
  const env = { PATH: process.env.PATH, DATABASE_URL: 'postgres://api@127.0.0.1:1/landing', AWS_REGION: 'us-east-1' };
  const times = Array.from({ length: RUNS }, () =>
    Number(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8' }).trim()),
  ).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const max = times.at(-1)!;

  const ok = bytes <= BUDGET.bytes && median <= BUDGET.initMs;
  console.log(`query Lambda bundle: ${(bytes / 1024).toFixed(1)} KB minified (budget ${BUDGET.bytes / 1024} KB)`);
  console.log(`module initialisation over ${RUNS} fresh processes: median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms (budget ${BUDGET.initMs} ms)`);
  console.log(ok ? 'within budget' : 'OVER BUDGET');
  const record = {
    kind: 'lambda',
    at: new Date().toISOString(),
    commit: execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim(),
    node: process.version,
    bundleBytes: bytes,
    initMs: { median: +median.toFixed(1), max: +max.toFixed(1), runs: RUNS },
    withinBudget: ok,
  };
  appendFileSync(join(repo, 'bench', 'results', 'api.jsonl'), `${JSON.stringify(record)}\n`);
  if (!ok) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
