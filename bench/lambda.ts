import { build, type BuildOptions } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { paths } from '../local/layout';
import { packagedStage } from '../local/packaged';
import { recordRun, sampleLoadAverage } from './record';

/** npm run bench:lambda — every Lambda (executor, query, ingestions) bundled as serverless-esbuild bundles it, under
 *  each way of bundling the AWS SDK that serverless.yml custom.esbuild could take: its size, and how long a fresh
 *  Node process takes to import it as the nodejs22.x runtime imports an .mjs handler (module initialisation: the
 *  module-scope clients and configuration; nothing connects before the first event). A variant whose import fails
 *  is reported as failing, with the error. It also says which variant the packaged
 *  zips are, byte for byte, and holds that one to the budget. Records the run in bench/results/lambda.jsonl. */

const FUNCTIONS = ['executor', 'query', 'ingestions'] as const;
const BUDGET = { initMs: 150 };
const RUNS = Number(process.env.BENCH_INIT_RUNS ?? 15);
const repo = process.cwd();

// serverless.yml custom.esbuild without its choice about the SDK.
const BASE: BuildOptions = { bundle: true, minify: true, format: 'esm', platform: 'node', target: 'node22', logLevel: 'warning' };
// The CommonJS that esbuild bundles into ESM calls require(), which an ES module does not have.
const CREATE_REQUIRE = {
  js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};
const VARIANTS: Record<string, { options: BuildOptions; note: string }> = {
  'sdk-external': {
    options: { ...BASE, external: ['@aws-sdk/*'] },
    note: '@aws-sdk/* left to the runtime (here resolved from node_modules, on AWS from the runtime\'s own SDK)',
  },
  bundled: { options: { ...BASE, banner: CREATE_REQUIRE }, note: 'everything bundled, require() from createRequire' },
  'bundled-esm': {
    options: { ...BASE, banner: CREATE_REQUIRE, mainFields: ['module', 'main'] },
    note: 'everything bundled, the ES module builds of the SDK preferred (mainFields module, main), require() from createRequire',
  },
};

/** What the template gives each function, with plausible values for what it resolves on AWS. */
const aws = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_LAMBDA_FUNCTION_NAME: 'bench' };
const ENV: Record<(typeof FUNCTIONS)[number], Record<string, string>> = {
  executor: {
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:landing-etl-bench-ingestion',
    RUN_LOG_TABLE: 'landing-etl-bench-runlog',
    TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:landing-etl-bench-alerts',
    DATA_BUCKET: 'landing-etl-bench-data',
  },
  query: {
    DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:landing-etl-db-AbCdEf',
    DB_HOST: '127.0.0.1',
    DB_POOL_MAX: '2',
    DB_STATEMENT_TIMEOUT_MS: '5000',
  },
  ingestions: { RUN_LOG_TABLE: 'landing-etl-bench-runlog' },
};

interface Measure {
  bytes: number;
  /** Deflated, as the zip stores it. */
  deflatedBytes: number;
  initMs?: { median: number; max: number };
  error?: string;
}

const probe = (file: string) =>
  `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;

/** Milliseconds a fresh `node --input-type=module` process takes to import the bundle (cwd: its task root). */
const importOnce = (dir: string, file: string, env: Record<string, string>) =>
  Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', probe(file)], {
      cwd: dir,
      env: { PATH: process.env.PATH, ...aws, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim(),
  );

// The dev stage's package, packaged again when its sources changed: the budget is judged on what ships.
const packageDir = await packagedStage('dev', (line) => console.log(line));

/** The packaged handler of a function. */
function packagedHandler(fn: string): Buffer {
  const zip = join(packageDir, `${fn}.zip`);
  const read = 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))';
  return execFileSync(paths.python, ['-c', read, zip, `functions/${fn}/handler.mjs`], { maxBuffer: 64 * 1024 * 1024 });
}

// Inside the repository, so that a bare `@aws-sdk/…` import resolves from node_modules.
mkdirSync(join(repo, '.build'), { recursive: true });
const root = mkdtempSync(join(repo, '.build', 'bench-lambda-'));
const results: Record<string, Record<string, Measure>> = {};
const shipped: Record<string, string | null> = {};
const load = sampleLoadAverage();
try {
  const importable: Array<{ fn: (typeof FUNCTIONS)[number]; dir: string; file: string; times: number[]; measure: Measure }> = [];
  for (const [variant, { options }] of Object.entries(VARIANTS)) {
    const dir = join(root, variant);
    cpSync(join(repo, 'datasets'), join(dir, 'datasets'), { recursive: true }); // as the zips carry them
    for (const fn of FUNCTIONS) {
      const file = join(dir, 'functions', fn, 'handler.mjs');
      await build({ ...options, entryPoints: [join(repo, 'functions', fn, 'handler.ts')], outfile: file });
      const code = readFileSync(file);
      const measure: Measure = { bytes: code.length, deflatedBytes: deflateRawSync(code).length };
      try {
        importOnce(dir, file, ENV[fn]);
        importable.push({ fn, dir, file, times: [], measure });
      } catch (e) {
        const stderr = String((e as { stderr?: unknown }).stderr ?? (e as Error).message);
        measure.error = stderr.match(/^\w*Error[^\n]*/m)?.[0] ?? stderr.slice(0, 200);
      }
      (results[fn] ??= {})[variant] = measure;
      const packaged = packagedHandler(fn);
      if (packaged.equals(code)) shipped[fn] = variant;
      else shipped[fn] ??= null;
    }
  }
  // Round-robin over every bundle, so that other load on the machine weighs on each variant alike.
  for (let run = 0; run < RUNS; run++) for (const b of importable) b.times.push(importOnce(b.dir, b.file, ENV[b.fn]));
  for (const { times, measure } of importable) {
    times.sort((a, b) => a - b);
    measure.initMs = { median: +times[Math.floor(times.length / 2)]!.toFixed(1), max: +times.at(-1)!.toFixed(1) };
  }

  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  for (const [variant, { note }] of Object.entries(VARIANTS)) console.log(`${variant}: ${note}`);
  console.log(`\nbundle (deflated), module initialisation over ${RUNS} fresh processes (Node ${process.version}): median / max; budget ${BUDGET.initMs} ms median`);
  console.log(`${'function'.padEnd(12)}${Object.keys(VARIANTS).map((v) => v.padEnd(44)).join('')}packaged zip is`);
  for (const fn of FUNCTIONS) {
    const cells = Object.keys(VARIANTS).map((v) => {
      const m = results[fn]![v]!;
      const size = `${kb(m.bytes)} (${kb(m.deflatedBytes)})`;
      return (m.initMs ? `${size}, ${m.initMs.median} / ${m.initMs.max} ms` : `${size}, FAILS`).padEnd(44);
    });
    console.log(`${fn.padEnd(12)}${cells.join('')}${shipped[fn] ?? 'none of these'}`);
  }
  for (const fn of FUNCTIONS) {
    for (const [variant, m] of Object.entries(results[fn]!)) if (m.error) console.log(`${fn} ${variant}: ${m.error}`);
  }

  // The budget holds for what ships.
  const packaged = FUNCTIONS.map((fn) => shipped[fn] && results[fn]![shipped[fn]]!);
  const ok = packaged.every(Boolean) ? packaged.every((m) => m && m.initMs && m.initMs.median <= BUDGET.initMs) : null;
  console.log(
    ok === null
      ? 'budget not judged: the packaged zips are none of these variants'
      : ok
        ? 'what ships is within budget'
        : 'OVER BUDGET',
  );
  recordRun('lambda', {
    conditions: { runs: RUNS },
    figures: { functions: results, shipped, withinBudget: ok },
    loadAverage: load.stop(),
    // The bundled sources.
    uncommittedPaths: ['functions', 'datasets', 'serverless.yml'],
  });
  if (ok === false) process.exitCode = 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
