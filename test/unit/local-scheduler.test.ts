import type { Schedule } from '../../local/deployment';
import { LocalScheduler } from '../../local/scheduler';

const schedule: Schedule = {
  logicalId: 'FreshnessSchedule',
  functionLogicalId: 'FreshnessLambdaFunction',
  targetArn: 'arn:aws:lambda:us-east-1:123456789012:function:landing-etl-dev-freshness',
  role: 'FreshnessSchedulerRole',
  everyMs: 15 * 60_000,
  input: '{"time":"<aws.scheduler.scheduled-time>","schedule":"<aws.scheduler.scheduled-time>"}',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("invokes the schedule's function with its input, the scheduled time filled in to the second as Scheduler does", async () => {
  const events: unknown[] = [];
  const scheduler = new LocalScheduler([schedule], async (s, event) => events.push([s.functionLogicalId, event]), () => {});
  await scheduler.fire(schedule, new Date('2026-03-29T05:00:00.250Z'));
  expect(events).toEqual([['FreshnessLambdaFunction', { time: '2026-03-29T05:00:00Z', schedule: '2026-03-29T05:00:00Z' }]]);
});

test('ticks every LOCAL_SCHEDULE_EVERY_MS, the first tick reporting the time given and later ones the time elapsed since', async () => {
  const times: number[] = [];
  const firstTickAt = new Date('2026-11-30T07:30:00Z');
  const scheduler = new LocalScheduler([schedule], async (_s, event) => void times.push(Date.parse((event as { time: string }).time)), () => {}, {
    everyMs: 100,
    firstTickAt,
  });
  scheduler.start();
  await sleep(450);
  await scheduler.stop();
  expect(times.length).toBeGreaterThanOrEqual(3);
  // To the second, as the scheduled time is written: the first tick is the time given, the next ones ~100 ms apart.
  expect(Math.abs(times[0]! - firstTickAt.getTime())).toBeLessThanOrEqual(1_000);
  expect(times.at(-1)! - times[0]!).toBeLessThanOrEqual(2_000);
  const after = times.length;
  await sleep(250);
  expect(times).toHaveLength(after); // stopped
});

test('a period of 0 runs nothing; a failed invocation is logged, not thrown', async () => {
  let calls = 0;
  const off = new LocalScheduler([schedule], async () => void calls++, () => {}, { everyMs: 0 });
  off.start();
  await sleep(100);
  await off.stop();
  expect(calls).toBe(0);

  const logged: string[] = [];
  const failing = new LocalScheduler(
    [schedule],
    async () => {
      throw Object.assign(new Error('no table'), { name: 'ResourceNotFoundException' });
    },
    (line) => logged.push(line),
  );
  await expect(failing.fire(schedule, new Date('2026-11-30T07:30:00Z'))).resolves.toBeUndefined();
  expect(logged).toEqual(['schedule FreshnessSchedule at 2026-11-30T07:30:00Z: ResourceNotFoundException: no table']);
});
