import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import postgres from 'postgres';
import { startTestPostgres } from '../test/support/test-postgres';
import { recordRun, sampleLoadAverage } from './record';

/** npm run bench:api — GET /get under load next to a bare node:http + postgres baseline running the same SQL.
 *  Seeds an embedded PostgreSQL, then for pages of 20 and of 100 rows drives each server with autocannon
 *  (50 connections, 30 s per run, runs in the order baseline, API, API, baseline) over a mix of users and pages,  prints req/s, p50/p99 and errors and
 *  records them in bench/results/api.jsonl. Override with BENCH_ROWS, BENCH_USERS, BENCH_DURATION_S, BENCH_CONNECTIONS. */

const ROWS = Number(process.env.BENCH_ROWS ?? 2_000_000);
const USERS = Number(process.env.BENCH_USERS ?? 1_000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const POOL_MAX = process.env.DB_POOL_MAX ?? '8';
const PAGE_SIZES = [20, 100];
const repo = process.cwd();

const log = (line: string) => console.log(`[bench] ${line}`);
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Deterministic PRNG so every run drives the same URLs. */
function prng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
}

async function seed(sql: postgres.Sql) {
  const started = Date.now();
  // Realistic shape: each user has ROWS/USERS check-ins over ~6 years with microsecond timestamps, hours in
  // quarter steps up to 2 decimals, a dozen projects, one source object per user and month.
  await sql`
    INSERT INTO daily_checkins (username, project, hours, ts, ingestion_id, source_object, source_line)
    SELECT 'user-' || lpad(u::text, 4, '0'),
           (ARRAY['apollo','gemini','mercury','artemis','voyager','pioneer','viking','juno','cassini','galileo','hubble','kepler'])[1 + (n * 7 + u) % 12],
           round((0.25 + random() * 9.75)::numeric, 2),
           timestamptz '2020-01-01' + (n * interval '1 day' * (2190.0 / ${ROWS / USERS})) + random() * interval '20 hours',
           'bench-' || u || '-' || (n / 31),
           's3://landing/dailycheckin/user-' || u || '/' || (n / 31) || '.csv',
           n
    FROM generate_series(1, ${USERS}) AS u, generate_series(1, ${ROWS / USERS}) AS n`;
  await sql`VACUUM ANALYZE daily_checkins`;
  const [{ count }] = await sql<[{ count: string }]>`SELECT count(*)::text AS count FROM daily_checkins`;
  log(`seeded ${count} rows over ${USERS} users in ${seconds(started)}`);
}

/** A server script's URL and, when it prints one, the rows token its API needs (api-server.ts). */
async function startServer(script: string, env: NodeJS.ProcessEnv): Promise<{ url: string; headers: Record<string, string>; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'bench', script)], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  while (!/listening (\S+)/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${script} did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = /^token (\S+)$/m.exec(output)?.[1];
  return { url: /listening (\S+)/.exec(output)![1]!, headers: token ? { authorization: `Bearer ${token}` } : {}, child };
}

/** A mix of users and pages: for 300 users, the first page and pages 2–4 reached by following nextCursor. */
async function buildPaths(apiUrl: string, headers: Record<string, string>, limit: number): Promise<string[]> {
  const random = prng(limit);
  const paths: string[] = [];
  for (let i = 0; i < 300; i++) {
    const user = `user-${String(1 + Math.floor(random() * USERS)).padStart(4, '0')}`;
    let path = `/get?user=${user}&limit=${limit}`;
    const depth = 1 + Math.floor(random() * 4);
    for (let page = 1; page <= depth; page++) {
      paths.push(path);
      const res = await fetch(apiUrl + path, { headers });
      const body = (await res.json()) as { nextCursor: string | null };
      if (!body.nextCursor) break;
      path = `/get?user=${user}&limit=${limit}&cursor=${body.nextCursor}`;
    }
  }
  return paths;
}

async function sameBodies(a: string, headers: Record<string, string>, b: string, paths: string[]) {
  for (const path of paths.filter((_, i) => i % 25 === 0)) {
    const [x, y] = await Promise.all([fetch(a + path, { headers }).then((r) => r.text()), fetch(b + path).then((r) => r.text())]);
    if (x !== y) throw new Error(`the baseline and the API answer ${path} differently:\n${x.slice(0, 300)}\n${y.slice(0, 300)}`);
  }
}

interface Run {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  requests: number;
}

/** Two runs of one server: mean req/s and latency percentiles, total errors. */
const combine = (runs: Run[]): Run => ({
  requestsPerSecond: Math.round(runs.reduce((a, r) => a + r.requestsPerSecond, 0) / runs.length),
  p50Ms: +(runs.reduce((a, r) => a + r.p50Ms, 0) / runs.length).toFixed(1),
  p99Ms: +(runs.reduce((a, r) => a + r.p99Ms, 0) / runs.length).toFixed(1),
  errors: runs.reduce((a, r) => a + r.errors, 0),
  requests: runs.reduce((a, r) => a + r.requests, 0),
});

async function load(url: string, paths: string[], duration: number, headers: Record<string, string> = {}): Promise<Run> {
  let i = 0;
  const result = await autocannon({
    url,
    headers,
    connections: CONNECTIONS,
    duration,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: paths[i++ % paths.length]! }) }],
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    requests: result.requests.total,
  };
}

const loadAverage = sampleLoadAverage();
const pg = await startTestPostgres();
const servers: ChildProcess[] = [];
try {
  const sql = postgres(pg.url, { onnotice: () => {} });
  await seed(sql);
  await sql.end();
  const env = { DATABASE_URL: pg.url, DB_POOL_MAX: POOL_MAX, POWERTOOLS_LOG_LEVEL: 'WARN' };
  const api = await startServer('api-server.ts', env);
  const baseline = await startServer('baseline-server.ts', env);
  servers.push(api.child, baseline.child);

  const results = [];
  for (const limit of PAGE_SIZES) {
    const paths = await buildPaths(api.url, api.headers, limit);
    await sameBodies(api.url, api.headers, baseline.url, paths);
    log(`${limit} rows a page: ${paths.length} distinct URLs; warming up both servers`);
    await load(baseline.url, paths, 5);
    await load(api.url, paths, 5, api.headers);
    // The machine is shared: alternate baseline, API, API, baseline so drifting background load hits both alike.
    const runs: Record<'baseline' | 'api', Run[]> = { baseline: [], api: [] };
    for (const which of ['baseline', 'api', 'api', 'baseline'] as const) {
      const run = await load(which === 'api' ? api.url : baseline.url, paths, DURATION_S, which === 'api' ? api.headers : {});
      runs[which].push(run);
      log(`${which.padEnd(8)} ${limit}/page: ${run.requestsPerSecond} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, ${run.errors} errors`);
    }
    const base = combine(runs.baseline);
    const ours = combine(runs.api);
    const throughput = ours.requestsPerSecond / base.requestsPerSecond;
    const p99 = ours.p99Ms / Math.max(base.p99Ms, 1);
    const pass = throughput >= 0.8 && p99 <= 1.25 && ours.errors === 0;
    log(
      `${limit}/page: baseline ${base.requestsPerSecond} req/s p99 ${base.p99Ms} ms | GET /get ${ours.requestsPerSecond} req/s ` +
        `p99 ${ours.p99Ms} ms, ${ours.errors} errors | ${throughput.toFixed(2)}x req/s, ${p99.toFixed(2)}x p99 -> ` +
        `${pass ? 'meets' : 'MISSES'} the targets`,
    );
    results.push({ limit, baseline: base, api: ours, runs, throughputRatio: +throughput.toFixed(3), p99Ratio: +p99.toFixed(3), meetsTargets: pass });
  }

  recordRun('api', {
    conditions: { rows: ROWS, users: USERS, connections: CONNECTIONS, durationS: DURATION_S, dbPoolMax: Number(POOL_MAX) },
    figures: { pages: results },
    loadAverage: loadAverage.stop(),
  });
} finally {
  for (const child of servers) child.kill();
  await pg.destroy();
}
