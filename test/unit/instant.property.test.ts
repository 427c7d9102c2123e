import fc from 'fast-check';
import { parseInstant } from '../../functions/query/instant';
import { seeded } from '../support/property';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Whole seconds since the epoch, kept a day inside years 0001–9999 so that any zone offset stays inside them too. */
const SECONDS = { min: Date.UTC(1, 0, 2) / 1000, max: Date.UTC(9999, 11, 30) / 1000 };
const seconds = fc.integer(SECONDS);
/** 0–6 fraction digits, as written. */
const fraction = fc.stringMatching(/^\d{0,6}$/);
/** A zone offset in minutes (±23:59) and a way of writing it. */
const zone = fc.oneof(
  fc.constantFrom({ minutes: 0, text: 'Z' }, { minutes: 0, text: 'z' }),
  fc
    .tuple(fc.constantFrom(1, -1), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.constantFrom('±hh:mm', '±hhmm', '±hh', ' hh:mm'))
    .map(([sign, h, m, style]) => {
      const minutes = style === '±hh' ? h * 60 : h * 60 + m;
      const abs = style === '±hh' ? pad(h) : style === '±hhmm' ? `${pad(h)}${pad(m)}` : `${pad(h)}:${pad(m)}`;
      // A "+" that a client did not percent-encode arrives as a space.
      if (style === ' hh:mm') return { minutes, text: ` ${abs}` };
      return { minutes: sign * minutes, text: `${sign < 0 ? '-' : '+'}${abs}` };
    }),
);

/** The wall-clock fields of `epochSeconds` seen `offsetMinutes` east of UTC. */
function wallClock(epochSeconds: number, offsetMinutes: number) {
  const d = new Date((epochSeconds + offsetMinutes * 60) * 1000);
  return {
    date: `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    hm: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`,
    s: pad(d.getUTCSeconds()),
  };
}

const canonical = (epochSeconds: number, digits: string) => {
  const { date, hm, s } = wallClock(epochSeconds, 0);
  return `${date}T${hm}:${s}.${digits.padEnd(6, '0')}Z`;
};

test('any instant written with seconds, 0–6 fraction digits and any zone parses back to itself, in UTC', () => {
  fc.assert(
    fc.property(seconds, fraction, zone, fc.constantFrom('T', 't'), fc.constantFrom('.', ','), (t, digits, z, sep, dot) => {
      const { date, hm, s } = wallClock(t, z.minutes);
      const text = `${date}${sep}${hm}:${s}${digits ? `${dot}${digits}` : ''}${z.text}`;
      const parsed = parseInstant(text);
      expect(parsed).toEqual({ iso: canonical(t, digits), micros: BigInt(t) * 1_000_000n + BigInt(digits.padEnd(6, '0')) });
    }),
    {
      ...seeded(),
      // The first and last microseconds of years 0001–9999, the first written in a zone where it is still year 0000,
      // and the widest offsets either way.
      examples: [
        [Date.UTC(1, 0, 1) / 1000, '', { minutes: 0, text: 'Z' }, 'T', '.'],
        [Date.UTC(1, 0, 1) / 1000, '000000', { minutes: -1, text: '-00:01' }, 'T', '.'],
        [Date.UTC(9999, 11, 31, 23, 59, 59) / 1000, '999999', { minutes: 0, text: 'Z' }, 'T', '.'],
        [Date.UTC(2026, 10, 29, 12) / 1000, '1', { minutes: 23 * 60 + 59, text: '+23:59' }, 't', ','],
        [Date.UTC(2026, 10, 29, 12) / 1000, '123456', { minutes: -(23 * 60 + 59), text: '-2359' }, 'T', '.'],
      ],
    },
  );
});

test.each([
  ['2026-11-29T00:00:00Z', '2026-11-29T00:00:00.000000Z'],
  ['2026-11-29T23:59:59.999999Z', '2026-11-29T23:59:59.999999Z'],
  ['2026-11-29T12:00+23:59', '2026-11-28T12:01:00.000000Z'],
  ['2026-11-29T12:00-23:59', '2026-11-30T11:59:00.000000Z'],
  ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000000Z'],
  ['0000-12-31T23:59-00:01', '0001-01-01T00:00:00.000000Z'],
  ['9999-12-31T23:59:59.999999Z', '9999-12-31T23:59:59.999999Z'],
  ['2026-01-01', '2026-01-01T00:00:00.000000Z'],
  ['2026-12-31', '2026-12-31T00:00:00.000000Z'],
  ['2026-04-30', '2026-04-30T00:00:00.000000Z'],
  ['2024-02-29', '2024-02-29T00:00:00.000000Z'],
  ['2000-02-29', '2000-02-29T00:00:00.000000Z'],
])('every field at the edge of its range: %s is %s', (text, iso) => {
  expect(parseInstant(text)?.iso).toBe(iso);
});

test.each([
  '2026-11-29T24:00:00Z',
  '2026-11-29T23:60:00Z',
  '2026-11-29T23:59:60Z',
  '2026-11-29T23:59:59.1234567Z',
  '2026-11-29T12:00+24:00',
  '2026-11-29T12:00-24:00',
  '2026-11-29T12:00+23:60',
  '2026-13-01',
  '2026-00-10',
  '2026-11-00',
  '0000-12-31T23:59:59.999999Z',
  '0001-01-01T00:00:00+00:01',
  '9999-12-31T23:59:59.999999-00:01',
])('a field one past its range is no instant: %s', (text) => {
  expect(parseInstant(text)).toBeUndefined();
});

test('an instant written to the minute, or without a zone, or as a date, is that minute in UTC or that midnight', () => {
  fc.assert(
    fc.property(seconds, zone, (t, z) => {
      const minute = t - (((t % 60) + 60) % 60);
      const local = wallClock(minute, z.minutes);
      expect(parseInstant(`${local.date}T${local.hm}${z.text}`)?.iso).toBe(canonical(minute, ''));
      const utc = wallClock(t, 0);
      expect(parseInstant(`${utc.date}T${utc.hm}:${utc.s}`)?.iso).toBe(canonical(t, ''));
      const midnight = t - (((t % 86_400) + 86_400) % 86_400);
      expect(parseInstant(utc.date)?.iso).toBe(canonical(midnight, ''));
    }),
    seeded(),
  );
});

test('what parseInstant returns is canonical: it parses to itself, and text order is time order', () => {
  const instant = fc.tuple(seconds, fraction).map(([t, digits]) => parseInstant(canonical(t, digits))!);
  fc.assert(
    fc.property(instant, instant, (a, b) => {
      expect(parseInstant(a.iso)).toEqual(a);
      expect(Math.sign(Number(a.micros - b.micros))).toBe(Math.sign(a.iso < b.iso ? -1 : a.iso > b.iso ? 1 : 0));
    }),
    seeded(),
  );
});

test('a day that no month has (30 February, 31 April, 29 February of a common year) is no instant', () => {
  const daysIn = (y: number, m: number) => {
    const last = new Date(0);
    last.setUTCFullYear(y, m, 0); // day 0 of the next month
    return last.getUTCDate();
  };
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 29, max: 99 }), (y, m, d) => {
      fc.pre(d > daysIn(y, m));
      const date = `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
      expect(parseInstant(date)).toBeUndefined();
      expect(parseInstant(`${date}T00:00:00Z`)).toBeUndefined();
    }),
    // The day after the last of February in a common year, a century that is not a leap year, and a 30-day month.
    { ...seeded(), examples: [[2026, 2, 29], [1900, 2, 29], [2100, 2, 29], [2026, 4, 31], [2024, 2, 30]] },
  );
});

test('no text makes it throw, and what it accepts is always inside years 0001–9999', () => {
  const nearIso = fc
    .tuple(
      fc.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      fc.option(fc.stringMatching(/^[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?$/), { nil: '' }),
      fc.option(fc.stringMatching(/^([Zz]|[+\- ]\d{2}(:?\d{2})?)$/), { nil: '' }),
    )
    .map((parts) => parts.join(''));
  fc.assert(
    fc.property(fc.oneof(nearIso, fc.string({ unit: 'binary' }), fc.string()), (text) => {
      const parsed = parseInstant(text);
      if (parsed) {
        expect(parsed.iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
        expect(parsed.iso >= '0001-01-01T00:00:00.000000Z').toBe(true);
        expect(parseInstant(parsed.iso)).toEqual(parsed);
      }
    }),
    seeded(1000),
  );
});
