import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';

const definition = JSON.parse(
  readFileSync('statemachine/ingestion.asl.json', 'utf8').replace(/\$\{(\w+)\}/g, 'arn:aws:sns:us-east-1:123456789012:$1'),
);

test('the ingestion state machine is valid ASL', () => {
  const { isValid, errorsText } = aslValidator(definition);
  expect(errorsText()).toBe('');
  expect(isValid).toBe(true);
});

test('no path through the machine ends a failed stage in a Succeed state', () => {
  const states = definition.States as Record<string, { Type: string; Next?: string }>;
  const reach = (from: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(from)) return seen;
    seen.add(from);
    const s = states[from]!;
    const targets = [s.Next, ...((s as { Choices?: Array<{ Next: string }> }).Choices ?? []).map((c) => c.Next),
      (s as { Default?: string }).Default, ...((s as { Catch?: Array<{ Next: string }> }).Catch ?? []).map((c) => c.Next)];
    for (const t of targets) if (t) reach(t, seen);
    return seen;
  };
  for (const failed of ['Transform: job failed', 'Test: task failed', 'Load: job failed']) {
    const reachable = [...reach(failed)].map((n) => states[n]!.Type);
    expect(reachable).toContain('Fail');
    expect(reachable).not.toContain('Succeed');
  }
});
