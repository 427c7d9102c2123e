import type { Schedule } from './deployment';

/** EventBridge Scheduler on this machine: each schedule of the template invokes its function every period with the
 *  target's Input, its <aws.scheduler.scheduled-time> filled in with the tick's time. Nothing runs at start: the first
 *  tick is one period later, as a new rate schedule's first invocation.
 *
 *  For tests and demos, two variables change the timer (README: Freshness): LOCAL_SCHEDULE_EVERY_MS replaces every
 *  period (0 turns the schedules off), and LOCAL_SCHEDULE_TIME (an ISO instant) is the time the first tick reports,
 *  later ticks adding the real time elapsed since: a test can have the checker look at any moment it likes. */
export class LocalScheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private running = 0;
  private idle: (() => void) | undefined;

  constructor(
    private readonly schedules: Schedule[],
    private readonly invoke: (schedule: Schedule, event: unknown) => Promise<unknown>,
    private readonly log: (line: string) => void,
    private readonly options: { everyMs?: number | undefined; firstTickAt?: Date | undefined } = {},
  ) {}

  start(): void {
    for (const schedule of this.schedules) {
      const period = this.period(schedule);
      if (period <= 0) continue;
      // What the schedule's clock is ahead of (or behind) this machine's: 0 unless the first tick's time is given.
      const offset = this.options.firstTickAt ? this.options.firstTickAt.getTime() - (Date.now() + period) : 0;
      this.timers.push(setInterval(() => void this.fire(schedule, new Date(Date.now() + offset)), period));
    }
  }

  /** Invokes a schedule's function as the schedule would at `time`. */
  async fire(schedule: Schedule, time: Date): Promise<unknown> {
    // Seconds, as EventBridge Scheduler writes the scheduled time (2022-03-22T18:59:43Z).
    const scheduled = `${time.toISOString().slice(0, 19)}Z`;
    const event = JSON.parse(schedule.input.replaceAll('<aws.scheduler.scheduled-time>', scheduled)) as unknown;
    this.running += 1;
    try {
      return await this.invoke(schedule, event);
    } catch (e) {
      this.log(`schedule ${schedule.logicalId} at ${scheduled}: ${(e as Error).name}: ${(e as Error).message}`);
      return undefined;
    } finally {
      this.running -= 1;
      if (this.running === 0) this.idle?.();
    }
  }

  /** Stops the timers and waits for invocations in flight. */
  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    if (this.running > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  private period(schedule: Schedule): number {
    return this.options.everyMs ?? schedule.everyMs;
  }
}
