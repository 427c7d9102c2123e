import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';

interface State {
  Type: string;
  Resource?: string;
  Next?: string;
  Default?: string;
  Seconds?: number;
  Choices?: Array<{ Next: string }>;
  Catch?: Array<{ Next: string }>;
  Retry?: Array<{ ErrorEquals: string[]; BackoffRate?: number }>;
}

const definition = JSON.parse(
  readFileSync('statemachine/ingestion.asl.json', 'utf8').replace(/\$\{(\w+)\}/g, 'arn:aws:sns:us-east-1:123456789012:$1'),
) as { States: Record<string, State> };
const states = definition.States;

test('the ingestion state machine is valid ASL', () => {
  const { isValid, errorsText } = aslValidator(definition);
  expect(errorsText()).toBe('');
  expect(isValid).toBe(true);
});

test('no path from a failed stage ends in a Succeed state', () => {
  const reach = (from: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(from)) return seen;
    seen.add(from);
    const s = states[from]!;
    for (const t of [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)]) {
      if (t) reach(t, seen);
    }
    return seen;
  };
  for (const stage of ['Transform', 'Test', 'Load']) {
    for (const failed of [`${stage}: job failed`, `${stage}: task failed`]) {
      const reachable = [...reach(failed)].map((n) => states[n]!.Type);
      expect(reachable).toContain('Fail');
      expect(reachable).not.toContain('Succeed');
    }
  }
});

test('Glue jobs are polled at most every 15 s, never through .sync', () => {
  const waits = Object.values(states).filter((s) => s.Type === 'Wait');
  expect(waits).toHaveLength(3);
  for (const w of waits) expect(w.Seconds).toBeLessThanOrEqual(15);
  expect(Object.values(states).filter((s) => s.Resource?.endsWith('.sync'))).toEqual([]);
});

test('every Glue call retries the transient Glue errors with backoff, and every task can be caught', () => {
  for (const [name, s] of Object.entries(states).filter(([, st]) => st.Type === 'Task')) {
    expect({ name, caught: Boolean(s.Catch?.length) }).toEqual({ name, caught: true });
    if (s.Resource!.includes(':glue:')) {
      const retried = s.Retry!.flatMap((r) => r.ErrorEquals);
      expect(retried).toEqual(expect.arrayContaining(['Glue.ConcurrentRunsExceededException', 'Glue.ThrottlingException', 'Glue.InternalServiceException']));
      expect(s.Retry!.every((r) => (r.BackoffRate ?? 1) > 1)).toBe(true);
    }
  }
});
