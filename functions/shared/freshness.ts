import type { Schedule } from './contracts';

/** Freshness of a dataset against its contract's schedule: pure functions of the schedule, the time and the files
 *  that arrived, shared by the checker Lambda, GET /datasets and `landing-etl datasets` so all three agree.
 *
 *  Time zones and daylight saving come from the runtime's ICU through Intl (no time-zone library is installed, and
 *  Node's full ICU carries the IANA database). A due time a spring-forward change skips (01:30 on the day London
 *  goes from 01:00 to 02:00) is read as the same length of time after the change (02:30 summer time); one a
 *  fall-back change repeats is the first of the two: the rules of Temporal's "compatible" disambiguation. */

export type FreshnessStatus = 'fresh' | 'awaiting' | 'missing' | 'late' | 'unscheduled';

export interface Freshness {
  status: FreshnessStatus;
  /** The business date the status is about: the latest one whose file is already due. */
  businessDate: string | null;
  dueAt: string | null;
  /** Minutes from the due time to the file's arrival, for a file that came after its grace period. */
  lateByMinutes?: number;
}

/** A file the executor accepted for a business date (a rejected object is not the file). */
export interface Arrival {
  businessDate: string;
  receivedAt: string;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/** YYYY-MM-DD plus n days. */
export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time in `timeZone` at `instant`, as if it were UTC (milliseconds). */
function wallClock(instant: number, timeZone: string): number {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(instant)).map((p) => [p.type, Number(p.value)]));
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** The zone's offset from UTC at `instant`, in milliseconds (London in summer: +3,600,000). */
const offsetAt = (instant: number, timeZone: string) => wallClock(instant, timeZone) - (instant - (instant % 1000));

/** The local date in `timeZone` at `instant`. */
export function localDate(instant: Date, timeZone: string): string {
  return new Date(wallClock(instant.getTime(), timeZone)).toISOString().slice(0, 10);
}

/** The instant that reads `time` (HH:MM) on `date` (YYYY-MM-DD) in `timeZone`. */
export function zonedInstant(date: string, time: string, timeZone: string): Date {
  const wall = Date.parse(`${date}T${time}:00Z`);
  // The offsets a day either side: any transition near the time lies between them.
  const before = offsetAt(wall - DAY, timeZone);
  const after = offsetAt(wall + DAY, timeZone);
  const fits = [...new Set([before, after])].map((o) => wall - o).filter((t) => offsetAt(t, timeZone) === wall - t);
  // Two fit when the wall time repeats (fall back): the first. None when it is skipped (spring forward): the offset
  // before the change carries it past the gap.
  return new Date(fits.length ? Math.min(...fits) : wall - before);
}

const isWeekday = (date: string) => {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day >= 1 && day <= 5;
};

/** Whether a file is expected for a business date at all. */
export const expects = (schedule: Schedule, businessDate: string) => schedule.every === 'day' || isWeekday(businessDate);

/** When the file for a business date is due. */
export function dueAt(schedule: Schedule, businessDate: string): Date {
  const dueDay = schedule.businessDate === 'previous day' ? addDays(businessDate, 1) : businessDate;
  return zonedInstant(dueDay, schedule.due, schedule.timeZone);
}

/** When the file for a business date is missing: its due time plus the grace period. Arriving at that very instant is
 *  on time. */
export const deadline = (schedule: Schedule, businessDate: string) => new Date(dueAt(schedule, businessDate).getTime() + schedule.graceMinutes * MINUTE);

/** The latest business date whose file is due at or before `now`. */
export function latestDueBusinessDate(schedule: Schedule, now: Date): string {
  const today = localDate(now, schedule.timeZone);
  // The file due today (local) is for today or yesterday; earlier dates are due on earlier days.
  let date = schedule.businessDate === 'previous day' ? addDays(today, -1) : today;
  while (!expects(schedule, date) || dueAt(schedule, date) > now) date = addDays(date, -1);
  return date;
}

/** Whole minutes from the due time to an arrival. */
export const minutesLate = (schedule: Schedule, businessDate: string, arrivedAt: Date) =>
  Math.floor((arrivedAt.getTime() - dueAt(schedule, businessDate).getTime()) / MINUTE);

/** The dataset's freshness at `now`, about the latest business date already due:
 *  - fresh: its file arrived by the deadline (due + grace);
 *  - awaiting: it has not arrived, and the grace period is still running;
 *  - missing: it has not arrived, and the deadline has passed;
 *  - late: it arrived after the deadline (lateByMinutes counts from the due time);
 *  - unscheduled: the contract declares no schedule. */
export function freshness(schedule: Schedule | undefined, now: Date, arrivals: Arrival[]): Freshness {
  if (!schedule) return { status: 'unscheduled', businessDate: null, dueAt: null };
  const businessDate = latestDueBusinessDate(schedule, now);
  const due = dueAt(schedule, businessDate);
  const limit = deadline(schedule, businessDate);
  const first = arrivals
    .filter((a) => a.businessDate === businessDate)
    .map((a) => new Date(a.receivedAt))
    .sort((a, b) => a.getTime() - b.getTime())[0];
  const about = { businessDate, dueAt: due.toISOString() };
  if (!first) return { status: now > limit ? 'missing' : 'awaiting', ...about };
  if (first > limit) return { status: 'late', ...about, lateByMinutes: minutesLate(schedule, businessDate, first) };
  return { status: 'fresh', ...about };
}
