import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
// @ts-expect-error a plain ES module of the deployment (deploy/serverless-plugin.js builds the page with it)
import { BUDGET, buildConsolePage, CONSOLE_DIR } from '../../deploy/console-page.js';

const built = buildConsolePage(process.cwd()) as { hash: string; files: string[] };
const file = (suffix: string) => built.files.find((f) => f.endsWith(suffix))!;
const bytes = (name: string) => readFileSync(join(CONSOLE_DIR, name));
const html = bytes('index.html').toString();
const entry = /<script type="module" src="assets\/([^"]+)"/.exec(html)![1]!;
const preloaded = [...html.matchAll(/<link rel="modulepreload" href="assets\/([^"]+)"/g)].map((m) => m[1]!);
const scripts = built.files.filter((f) => f.endsWith('.js'));

test('the page stays within its size budget: all its files, each file, and what the ingestion views load', () => {
  const gzipped = built.files.reduce((n, f) => n + gzipSync(bytes(f)).length, 0);
  expect(gzipped).toBeLessThanOrEqual(BUDGET.gzipTotal);
  for (const f of scripts) expect(bytes(f).length).toBeLessThanOrEqual(BUDGET.script);
  expect(bytes(file('.css')).length).toBeLessThanOrEqual(BUDGET.styles);
  const firstLoad = [entry, ...preloaded];
  expect(firstLoad.reduce((n, f) => n + bytes(f).length, 0)).toBeLessThanOrEqual(BUDGET.entry);
  // uPlot is in the bundle, not fetched from elsewhere, and only the datasets view fetches its chunk.
  const charts = scripts.filter((f) => /uplot/.test(bytes(f).toString()));
  expect(charts).toHaveLength(1);
  expect(firstLoad).not.toContain(charts[0]);
});

test('the page names its hashed entry script, the chunks it imports, and its styles', () => {
  expect(entry).toMatch(/^app\.[A-Z0-9]+\.js$/);
  expect(html).toContain(`href="assets/${file('.css')}"`);
  // Every chunk the entry imports statically is preloaded with it; every file exists.
  const imported = [...bytes(entry).toString().matchAll(/from"\.\/([^"]+\.js)"/g)].map((m) => m[1]!);
  expect(preloaded.sort()).toEqual(imported.sort());
  for (const f of [entry, ...preloaded]) expect(built.files).toContain(f);
});

describe('the console function', () => {
  let handler: (e: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  beforeAll(async () => {
    process.env.CLI_TARGET = '--stage prod --region eu-west-1';
    ({ handler } = await import('../../functions/console/handler'));
  });
  const get = (routeKey: string, file?: string) => handler({ routeKey, ...(file ? { pathParameters: { file } } : {}) } as APIGatewayProxyEventV2);
  const body = (r: APIGatewayProxyStructuredResultV2) => Buffer.from(r.body ?? '', 'base64').toString();

  test('serves the page with the stage’s CLI target, its datasets and a policy that allows only its own files', async () => {
    const res = await get('GET /');
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    expect(res.headers!['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    expect(body(res)).toContain('<meta name="cli-target" content="--stage prod --region eu-west-1">');
    expect(body(res)).toContain('<meta name="datasets" content="cafe_transactions,dailycheckin">');
  });

  test('serves the built assets, cached for good, and nothing else', async () => {
    const js = await get('GET /assets/{file}', entry);
    expect(js).toMatchObject({ statusCode: 200, isBase64Encoded: true });
    expect(js.headers).toMatchObject({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable' });
    expect(body(js)).toBe(bytes(entry).toString());
    for (const name of ['../../package.json', 'index.html', 'handler.mjs', '']) expect((await get('GET /assets/{file}', name)).statusCode).toBe(404);
  });

  // GET / and GET /assets/{file} are the API's only public routes (docs/security.md): they must serve the built files
  // and nothing else, and the page tells no more than the stage's CLI target and its dataset names.
  test('the public routes serve exactly the built files, the page filled in with the CLI target and dataset names only', async () => {
    for (const name of built.files.filter((f) => f !== 'index.html')) expect(body(await get('GET /assets/{file}', name))).toBe(bytes(name).toString());
    const settled = bytes('index.html').toString().replace('{{cliTarget}}', '--stage prod --region eu-west-1').replace('{{datasets}}', 'cafe_transactions,dailycheckin');
    expect(body(await get('GET /'))).toBe(settled);
    expect(settled).not.toMatch(/\{\{/);
  });
});
