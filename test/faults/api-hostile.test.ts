import { jest } from '@jest/globals';
import { request } from 'node:http';
import { startLocalStack, type RunningStack } from '../support/local-stack';
import { apiToken } from '../support/api';

jest.setTimeout(600_000);

let stack: RunningStack;
beforeAll(async () => (stack = await startLocalStack()));
afterAll(async () => void (await stack?.stop()));

/** Seeded so a failure reproduces. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const INJECTIONS = [
  "' OR '1'='1", "ana' --", "ana'; DROP TABLE daily_checkins; --", '" OR ""="', '1; SELECT pg_sleep(10)',
  "ana' UNION SELECT username, project, hours, ts FROM daily_checkins --", '%27%20OR%201%3D1', '\\x00', '${jndi:ldap://x}',
  '<script>alert(1)</script>', '../../etc/passwd', 'ana\u0000boris', '🦄'.repeat(50), 'שלום עולם', '\u202eana',
];
const ENCODINGS = ['%00', '%ZZ', '%', '%C0%AF', '%2527', '%E2%80%AE', '%F0%9F%A6%84', '%FF%FE', '+', '%0d%0aX-Injected:1'];

/** One hostile query string: random bytes, injection patterns, huge values, odd encodings, repeated parameters. */
function hostileQuery(rand: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const randomBytes = (n: number) => Array.from({ length: n }, () => `%${Math.floor(rand() * 256).toString(16).padStart(2, '0')}`).join('');
  const value = () =>
    pick([
      () => encodeURIComponent(pick(INJECTIONS)),
      () => randomBytes(1 + Math.floor(rand() * 40)),
      () => 'a'.repeat(Math.floor(rand() * 8000)),
      () => pick(ENCODINGS) + encodeURIComponent(pick(INJECTIONS)) + pick(ENCODINGS),
      () => '',
    ])();
  const params = ['user', 'user', 'from', 'to', 'limit', 'cursor', 'project', pick(['x', '__proto__', 'constructor', '%00'])];
  return Array.from({ length: 1 + Math.floor(rand() * 4) }, () => `${pick(params)}=${value()}`).join(pick(['&', '&&', '&=&', ';']));
}

/** A raw GET, so malformed query strings and headers reach the server exactly as generated. */
function rawGet(base: URL, path: string, authorization: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, path, method: 'GET', headers: { authorization } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('10,000 hostile query strings: no 5xx, nothing internal in any body, other users unaffected', async () => {
  const base = new URL(stack.info.apiUrl);
  const bearer = `Bearer ${await apiToken(stack.info, 'rows')}`;
  const before = await rawGet(base, '/get?user=boris', bearer);
  const rand = prng(20261121);
  const statuses = new Map<number, number>();
  const leaks: string[] = [];
  const total = 10_000;
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < total) {
        const path = `/get?${hostileQuery(rand)}`;
        next++;
        const { status, body } = await rawGet(base, path, bearer);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500 || /\bat \S+:\d+:\d+|postgres|SELECT|syntax error|stack|Error:/i.test(body)) leaks.push(`${status} ${path.slice(0, 120)} → ${body.slice(0, 200)}`);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  console.log(`hostile API load: ${total} requests in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} req/s); statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  expect(leaks.slice(0, 10)).toEqual([]);
  expect(await rawGet(base, '/get?user=boris', bearer)).toEqual(before);
});

test('hostile Authorization headers are 401 Unauthorized, never a 5xx, and say nothing of the token', async () => {
  const base = new URL(stack.info.apiUrl);
  const rand = prng(20261207);
  const [header, payload, signature] = (await apiToken(stack.info, 'rows'))!.split('.');
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const hostile = [
    '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c', 'Bearer ...', `Bearer ${header}.${payload}`,
    `Bearer ${header}.${payload}.${signature}x`, `Bearer ${b64({ alg: 'none' })}.${payload}.`, `Bearer ${b64({ alg: 'HS256', kid: 'x' })}.${payload}.${signature}`,
    `Bearer ${header}.${b64({ scope: 'landing-etl/rows landing-etl/operations', exp: 4102444800 })}.${signature}`,
    `Bearer ${'A'.repeat(7000)}`, `Bearer ${header}.${'%00'.repeat(100)}.${signature}`,
    ...Array.from({ length: 200 }, () => `Bearer ${Array.from({ length: 1 + Math.floor(rand() * 3) }, () => Buffer.from(Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256))).toString('base64url')).join('.')}`),
  ];
  for (const authorization of hostile) {
    const { status, body } = await rawGet(base, '/get?user=boris', authorization);
    expect({ authorization: authorization.slice(0, 60), status, body }).toEqual({ authorization: authorization.slice(0, 60), status: 401, body: '{"message":"Unauthorized"}' });
  }
});
