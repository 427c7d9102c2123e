import { sql } from '../shared/db';

export interface Checkin {
  user: string;
  project: string;
  hours: number;
  timestamp: string;
}

/** A user's check-ins, newest first. */
export async function findCheckins(user: string, limit: number): Promise<Checkin[]> {
  const rows = await sql<{ user: string; project: string; hours: number; ts: Date }[]>`
    SELECT username AS user, project, hours, ts
    FROM daily_checkins
    WHERE username = ${user}
    ORDER BY ts DESC, id DESC
    LIMIT ${limit}`;
  return rows.map((r) => ({ user: r.user, project: r.project, hours: r.hours, timestamp: r.ts.toISOString() }));
}
