import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import postgres from 'postgres';

/** The bare baseline: node:http + postgres running the same SQL as functions/query/checkins.ts and answering with
 *  the same body, without middy, validation, the API Gateway event adapter or error mapping. It only understands
 *  the well-formed URLs the benchmark sends (user, limit, cursor). */
const sql = postgres(process.env.DATABASE_URL!, {
  max: Number(process.env.DB_POOL_MAX),
  prepare: false,
  fetch_types: false,
  connection: { statement_timeout: 3000 },
});

const server = createServer((req, res) => {
  const url = new URL(req.url!, 'http://localhost');
  const user = url.searchParams.get('user')!;
  const limit = Number(url.searchParams.get('limit') ?? 100);
  const cursor = url.searchParams.get('cursor');
  const after = cursor ? (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [number, string, string, string]) : null;
  sql<{ item: string; ts: string; id: string }[]>`
    SELECT row_to_json(r)::text AS item, r."timestamp" AS ts, c.id::text AS id
    FROM daily_checkins c
    CROSS JOIN LATERAL (
      SELECT c.username AS "user", c.project, trim_scale(c.hours) AS hours,
             to_char(c.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "timestamp"
    ) r
    WHERE c.username = ${user}
      AND (${null}::text IS NULL OR c.project = ${null}::text)
      AND (${null}::text IS NULL OR c.ts >= ${null}::text::timestamptz)
      AND (${null}::text IS NULL OR c.ts < ${null}::text::timestamptz)
      AND (${after?.[1] ?? null}::text IS NULL
           OR (c.ts, c.id) < (${after?.[1] ?? null}::text::timestamptz, ${after?.[2] ?? null}::bigint))
    ORDER BY c.ts DESC, c.id DESC
    LIMIT ${limit + 1}`.then(
    (rows) => {
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      const scope = createHash('sha256').update(JSON.stringify([user, null, null, null])).digest('base64url').slice(0, 16);
      const next =
        rows.length > limit && last ? Buffer.from(JSON.stringify([1, last.ts, last.id, scope])).toString('base64url') : null;
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(`{"response":[${page.map((r) => r.item).join(',')}],"nextCursor":${JSON.stringify(next)}}`);
    },
    () => {
      res.writeHead(503);
      res.end();
    },
  );
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
});
process.once('SIGTERM', () => void sql.end({ timeout: 1 }).then(() => process.exit(0)));
