/** A point in time with the database's microsecond precision, which a JS Date (milliseconds) cannot hold. */
export interface Instant {
  /** UTC, always six fraction digits: 2018-11-26T14:47:36.042900Z, what PostgreSQL parses exactly. */
  iso: string;
  /** Microseconds since the epoch, for comparisons. */
  micros: bigint;
}

// Date, optionally a time (seconds and up to 6 fraction digits optional) and a zone. A zone written "+02:00" in a
// query string arrives as " 02:00" when a client did not percent-encode the "+", so a space stands for "+".
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?(Z|[+\- ]\d{2}(?::?\d{2})?)?)?$/i;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Parses ISO-8601 (a date is midnight UTC; a time without a zone is UTC). Undefined when it is not a real instant
 *  between years 0001 and 9999. */
export function parseInstant(text: string): Instant | undefined {
  const m = ISO_8601.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = m;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const local = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  // Date.parse rolls 2026-02-30 over to March; a real date survives the round trip.
  if (Number.isNaN(local) || !new Date(local).toISOString().startsWith(`${y}-${mo}-${d}`)) return undefined;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || '0');
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  const utc = new Date(local - offsetMinutes * 60_000);
  const year = utc.getUTCFullYear();
  if (year < 1 || year > 9999) return undefined;
  const micros = fraction.padEnd(6, '0');
  const iso =
    `${pad(year, 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())}` +
    `T${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}.${micros}Z`;
  return { iso, micros: BigInt(utc.getTime()) * 1000n + BigInt(micros) };
}
