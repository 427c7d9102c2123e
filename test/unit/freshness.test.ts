import type { Schedule } from '../../functions/shared/contracts';
import { dueAt, freshness, latestDueBusinessDate, minutesLate, zonedInstant } from '../../functions/shared/freshness';

const london: Schedule = { every: 'day', due: '06:00', timeZone: 'Europe/London', graceMinutes: 60, businessDate: 'previous day' };
const newYork: Schedule = { every: 'day', due: '06:00', timeZone: 'America/New_York', graceMinutes: 30, businessDate: 'same day' };
const iso = (d: Date) => d.toISOString();
const at = (s: string) => new Date(s);

describe('due times in a named zone, across daylight-saving changes', () => {
  test.each([
    // Europe/London: GMT, then BST from 01:00 UTC on 29 March 2026, GMT again from 01:00 UTC on 25 October 2026.
    ['2026-03-28', 'Europe/London', '2026-03-28T06:00:00.000Z'],
    ['2026-03-29', 'Europe/London', '2026-03-29T05:00:00.000Z'],
    ['2026-10-24', 'Europe/London', '2026-10-24T05:00:00.000Z'],
    ['2026-10-25', 'Europe/London', '2026-10-25T06:00:00.000Z'],
    // America/New_York: EST, EDT from 2:00 local on 8 March 2026, EST again from 2:00 local on 1 November 2026.
    ['2026-03-07', 'America/New_York', '2026-03-07T11:00:00.000Z'],
    ['2026-03-08', 'America/New_York', '2026-03-08T10:00:00.000Z'],
    ['2026-10-31', 'America/New_York', '2026-10-31T10:00:00.000Z'],
    ['2026-11-01', 'America/New_York', '2026-11-01T11:00:00.000Z'],
    // A zone with a half-hour offset and no daylight saving.
    ['2026-11-29', 'Asia/Kolkata', '2026-11-29T00:30:00.000Z'],
  ])('06:00 on %s in %s is %s', (date, zone, expected) => {
    expect(iso(zonedInstant(date, '06:00', zone))).toBe(expected);
  });

  test('a time the spring-forward change skips is read past the gap; a time the fall-back change repeats is the first', () => {
    // London skips 01:00–02:00 on 29 March: 01:30 is 02:30 BST, 01:30 UTC. It repeats 01:00–02:00 on 25 October.
    expect(iso(zonedInstant('2026-03-29', '01:30', 'Europe/London'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(zonedInstant('2026-10-25', '01:30', 'Europe/London'))).toBe('2026-10-25T00:30:00.000Z');
    // New York skips 02:00–03:00 on 8 March and repeats 01:00–02:00 on 1 November.
    expect(iso(zonedInstant('2026-03-08', '02:30', 'America/New_York'))).toBe('2026-03-08T07:30:00.000Z');
    expect(iso(zonedInstant('2026-11-01', '01:30', 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z');
  });

  test('a "previous day" file is due the day after its business date; a "same day" file on the date itself', () => {
    expect(iso(dueAt(london, '2026-03-28'))).toBe('2026-03-29T05:00:00.000Z');
    expect(iso(dueAt(newYork, '2026-03-08'))).toBe('2026-03-08T10:00:00.000Z');
  });
});

describe('the business date a check is about', () => {
  test('is the latest whose file is already due, changing at the due time', () => {
    // The 2026-03-28 file is due at 06:00 BST on the 29th (05:00 UTC), the day London springs forward.
    expect(latestDueBusinessDate(london, at('2026-03-29T04:59:59Z'))).toBe('2026-03-27');
    expect(latestDueBusinessDate(london, at('2026-03-29T05:00:00Z'))).toBe('2026-03-28');
    // On the day London falls back, 06:00 is 06:00 UTC again.
    expect(latestDueBusinessDate(london, at('2026-10-25T05:30:00Z'))).toBe('2026-10-23');
    expect(latestDueBusinessDate(london, at('2026-10-25T06:00:00Z'))).toBe('2026-10-24');
    // New York, same day: the 8 March file is due at 10:00 UTC (EDT), the 7 March one was due at 11:00 UTC (EST).
    expect(latestDueBusinessDate(newYork, at('2026-03-08T09:59:00Z'))).toBe('2026-03-07');
    expect(latestDueBusinessDate(newYork, at('2026-03-08T10:00:00Z'))).toBe('2026-03-08');
    expect(latestDueBusinessDate(newYork, at('2026-11-01T10:30:00Z'))).toBe('2026-10-31');
    expect(latestDueBusinessDate(newYork, at('2026-11-01T11:00:00Z'))).toBe('2026-11-01');
  });

  test('skips weekends for weekday files: on Monday the latest due is Friday', () => {
    const weekdays: Schedule = { ...london, every: 'weekday' };
    // Friday 2026-11-27's file was due Saturday; Monday 30 November's is due Tuesday 1 December.
    expect(latestDueBusinessDate(weekdays, at('2026-11-30T12:00:00Z'))).toBe('2026-11-27');
    expect(latestDueBusinessDate(weekdays, at('2026-12-01T06:00:00Z'))).toBe('2026-11-30');
  });
});

describe('the business date in zones ahead of and behind UTC, with due times near midnight', () => {
  const schedule = (timeZone: string, due: string, businessDate: Schedule['businessDate']): Schedule => ({ every: 'day', due, timeZone, graceMinutes: 30, businessDate });
  // Worked out by hand from each zone's offset (zdump -v): where the local day is ahead of the UTC day and today's
  // file is already due, only the local date finds it; the rows marked "UTC day" name the date a check counting from
  // the UTC day would wrongly report.
  test.each([
    // Asia/Tokyo, UTC+9 all year. 06:00 on 30 November is 21:00 UTC on the 29th.
    ['Asia/Tokyo', '06:00', 'same day', '2026-11-29T22:00:00Z', '2026-11-30', '2026-11-29T21:00:00.000Z'], // UTC day: 29th
    ['Asia/Tokyo', '06:00', 'same day', '2026-11-29T20:59:00Z', '2026-11-29', '2026-11-28T21:00:00.000Z'],
    ['Asia/Tokyo', '00:15', 'previous day', '2026-11-29T15:15:00Z', '2026-11-29', '2026-11-29T15:15:00.000Z'], // UTC day: 28th
    // Pacific/Auckland: NZDT (+13) in January, NZST (+12) in July.
    ['Pacific/Auckland', '00:15', 'same day', '2026-01-14T11:15:00Z', '2026-01-15', '2026-01-14T11:15:00.000Z'], // UTC day: 14th
    ['Pacific/Auckland', '00:15', 'same day', '2026-01-14T11:14:00Z', '2026-01-14', '2026-01-13T11:15:00.000Z'],
    ['Pacific/Auckland', '00:15', 'same day', '2026-07-14T12:15:00Z', '2026-07-15', '2026-07-14T12:15:00.000Z'], // UTC day: 14th
    // 11:15 UTC is 23:15 on the 14th in winter (it would be 00:15 on the 15th at the summer offset).
    ['Pacific/Auckland', '00:15', 'same day', '2026-07-14T11:15:00Z', '2026-07-14', '2026-07-13T12:15:00.000Z'],
    // Auckland falls back from +13 to +12 at 03:00 on 5 April 2026 (14:00 UTC on the 4th).
    ['Pacific/Auckland', '00:15', 'same day', '2026-04-05T12:15:00Z', '2026-04-06', '2026-04-05T12:15:00.000Z'], // UTC day: 5th
    ['Pacific/Auckland', '00:15', 'same day', '2026-04-05T11:15:00Z', '2026-04-05', '2026-04-04T11:15:00.000Z'],
    ['Pacific/Auckland', '23:45', 'previous day', '2026-04-05T11:45:00Z', '2026-04-04', '2026-04-05T11:45:00.000Z'],
    ['Pacific/Auckland', '23:45', 'previous day', '2026-04-05T11:44:00Z', '2026-04-03', '2026-04-04T10:45:00.000Z'],
    // It springs forward from +12 to +13 at 02:00 on 27 September 2026 (14:00 UTC on the 26th).
    ['Pacific/Auckland', '00:15', 'same day', '2026-09-26T12:15:00Z', '2026-09-27', '2026-09-26T12:15:00.000Z'], // UTC day: 26th
    ['Pacific/Auckland', '00:15', 'same day', '2026-09-27T11:15:00Z', '2026-09-28', '2026-09-27T11:15:00.000Z'], // UTC day: 27th
    // Pacific/Kiritimati, UTC+14: the local day is ahead of UTC from 10:00 UTC on.
    ['Pacific/Kiritimati', '06:00', 'previous day', '2026-06-30T16:00:00Z', '2026-06-30', '2026-06-30T16:00:00.000Z'], // UTC day: 29th
    ['Pacific/Kiritimati', '00:15', 'same day', '2026-12-31T10:15:00Z', '2027-01-01', '2026-12-31T10:15:00.000Z'], // UTC day: 31st
    ['Pacific/Kiritimati', '23:45', 'same day', '2026-12-31T09:45:00Z', '2026-12-31', '2026-12-31T09:45:00.000Z'],
    ['Pacific/Kiritimati', '23:45', 'same day', '2026-12-31T09:44:00Z', '2026-12-30', '2026-12-30T09:45:00.000Z'],
    // America/Los_Angeles: PST (-8) in January, PDT (-7) in July.
    ['America/Los_Angeles', '23:45', 'same day', '2026-01-16T07:45:00Z', '2026-01-15', '2026-01-16T07:45:00.000Z'],
    ['America/Los_Angeles', '23:45', 'same day', '2026-01-16T07:44:00Z', '2026-01-14', '2026-01-15T07:45:00.000Z'],
    ['America/Los_Angeles', '23:45', 'same day', '2026-07-16T06:45:00Z', '2026-07-15', '2026-07-16T06:45:00.000Z'],
    ['America/Los_Angeles', '23:45', 'same day', '2026-07-16T06:44:00Z', '2026-07-14', '2026-07-15T06:45:00.000Z'],
    // Los Angeles springs forward at 02:00 on 8 March 2026 (10:00 UTC) and falls back at 02:00 on 1 November (09:00 UTC).
    ['America/Los_Angeles', '00:15', 'previous day', '2026-03-09T07:15:00Z', '2026-03-08', '2026-03-09T07:15:00.000Z'],
    ['America/Los_Angeles', '00:15', 'previous day', '2026-03-09T07:14:00Z', '2026-03-07', '2026-03-08T08:15:00.000Z'],
    ['America/Los_Angeles', '00:15', 'same day', '2026-11-02T08:14:00Z', '2026-11-01', '2026-11-01T07:15:00.000Z'],
    ['America/Los_Angeles', '00:15', 'same day', '2026-11-02T08:15:00Z', '2026-11-02', '2026-11-02T08:15:00.000Z'],
    // Pacific/Pago_Pago, UTC-11 all year.
    ['Pacific/Pago_Pago', '23:45', 'previous day', '2026-11-30T10:45:00Z', '2026-11-28', '2026-11-30T10:45:00.000Z'],
    ['Pacific/Pago_Pago', '23:45', 'previous day', '2026-11-30T10:44:00Z', '2026-11-27', '2026-11-29T10:45:00.000Z'],
    ['Pacific/Pago_Pago', '00:15', 'same day', '2026-11-29T11:15:00Z', '2026-11-29', '2026-11-29T11:15:00.000Z'],
    ['Pacific/Pago_Pago', '00:15', 'same day', '2026-11-29T11:14:00Z', '2026-11-28', '2026-11-28T11:15:00.000Z'],
  ] as const)('%s, due %s (%s), checked at %s: about %s, due %s', (zone, due, kind, now, businessDate, dueAtIso) => {
    expect(freshness(schedule(zone, due, kind), at(now), [])).toMatchObject({ businessDate, dueAt: dueAtIso });
  });

  test('a same-day Tokyo file that already landed is fresh for its date, not a missing file for the day before', () => {
    // 22:00 UTC on 29 November is 07:00 on the 30th in Tokyo: the 30 November file, due 06:00, came at 05:50.
    const tokyo = schedule('Asia/Tokyo', '06:00', 'same day');
    const landed = [{ businessDate: '2026-11-30', receivedAt: '2026-11-29T20:50:00Z' }];
    expect(freshness(tokyo, at('2026-11-29T22:00:00Z'), landed)).toEqual({ status: 'fresh', businessDate: '2026-11-30', dueAt: '2026-11-29T21:00:00.000Z' });
  });
});

describe('status', () => {
  // The 2026-11-28 file: due 2026-11-29 06:00 GMT, missing after 07:00.
  const arrived = (receivedAt: string) => [{ businessDate: '2026-11-28', receivedAt }];

  test('unscheduled without a schedule', () => {
    expect(freshness(undefined, at('2026-11-29T12:00:00Z'), [])).toEqual({ status: 'unscheduled', businessDate: null, dueAt: null });
  });

  test('awaiting during the grace period, missing after it', () => {
    expect(freshness(london, at('2026-11-29T06:30:00Z'), [])).toEqual({ status: 'awaiting', businessDate: '2026-11-28', dueAt: '2026-11-29T06:00:00.000Z' });
    expect(freshness(london, at('2026-11-29T07:00:00Z'), []).status).toBe('awaiting');
    expect(freshness(london, at('2026-11-29T07:00:00.001Z'), []).status).toBe('missing');
  });

  test('a file arriving exactly at the deadline is on time; a minute later it is late, counted from the due time', () => {
    expect(freshness(london, at('2026-11-29T12:00:00Z'), arrived('2026-11-29T07:00:00.000Z'))).toEqual({
      status: 'fresh',
      businessDate: '2026-11-28',
      dueAt: '2026-11-29T06:00:00.000Z',
    });
    expect(freshness(london, at('2026-11-29T12:00:00Z'), arrived('2026-11-29T07:01:00.000Z'))).toEqual({
      status: 'late',
      businessDate: '2026-11-28',
      dueAt: '2026-11-29T06:00:00.000Z',
      lateByMinutes: 61,
    });
    expect(minutesLate(london, '2026-11-28', at('2026-11-29T09:30:00Z'))).toBe(210);
  });

  test('the first arrival counts: a second delivery of the date later does not make it late', () => {
    const twice = [...arrived('2026-11-29T09:00:00Z'), ...arrived('2026-11-29T05:00:00Z')];
    expect(freshness(london, at('2026-11-29T12:00:00Z'), twice).status).toBe('fresh');
  });

  test('a file for another date does not stand in for the one due', () => {
    const early = [{ businessDate: '2026-11-29', receivedAt: '2026-11-29T05:00:00Z' }];
    expect(freshness(london, at('2026-11-29T12:00:00Z'), early).status).toBe('missing');
  });
});
