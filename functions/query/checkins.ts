import type { Database, Sql } from '../shared/db';
import type { Position } from './cursor';
import type { CheckinQuery } from './request';

export interface CheckinPage {
  /** Each row as the JSON object {"user","project","hours","timestamp"}, rendered by PostgreSQL so that hours keep
   *  the numeric's exact digits and timestamps their microseconds (a JS number or Date would round them). */
  items: string[];
  /** Where the next page starts; null on the last page. */
  next: Position | null;
}

/** The SQL of one page: a user's check-ins, newest first, in (ts DESC, id DESC) keyset order. The index on
 *  (username, ts DESC, id DESC) returns the rows in that order, so there is no sort and no OFFSET. One row more
 *  than the page tells whether another page follows. */
export function pageQuery(sql: Sql, q: CheckinQuery) {
  // One static statement: an absent filter is a NULL parameter. Statements are unnamed (prepare: false), so
  // PostgreSQL plans each with its values, folds "NULL IS NULL OR …" away and keeps the keyset condition in the
  // index scan. Instants go over the wire as text: postgres.js would serialize a timestamptz parameter through a JS
  // Date and drop the microseconds.
  return sql<{ item: string; ts: string; id: string }[]>`
    SELECT row_to_json(r)::text AS item, r."timestamp" AS ts, c.id::text AS id
    FROM daily_checkins c
    CROSS JOIN LATERAL (
      -- hours as written in the file, in its shortest exact form: the staging Parquet's decimal(18,6) stored 0.08
      -- as 0.080000, and trim_scale drops the zeros that scale added (and only those: no digit is rounded).
      SELECT c.username AS "user", c.project, trim_scale(c.hours) AS hours,
             to_char(c.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "timestamp"
    ) r
    WHERE c.username = ${q.user}
      AND (${q.project ?? null}::text IS NULL OR c.project = ${q.project ?? null}::text)
      AND (${q.from?.iso ?? null}::text IS NULL OR c.ts >= ${q.from?.iso ?? null}::text::timestamptz)
      AND (${q.to?.iso ?? null}::text IS NULL OR c.ts < ${q.to?.iso ?? null}::text::timestamptz)
      AND (${q.after?.ts ?? null}::text IS NULL
           OR (c.ts, c.id) < (${q.after?.ts ?? null}::text::timestamptz, ${q.after?.id ?? null}::bigint))
    ORDER BY c.ts DESC, c.id DESC
    LIMIT ${q.limit + 1}`;
}

export async function findCheckins(database: Database, q: CheckinQuery): Promise<CheckinPage> {
  const rows = await database.run((sql) => pageQuery(sql, q));
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { items: page.map((r) => r.item), next: rows.length > q.limit && last ? { ts: last.ts, id: last.id } : null };
}
