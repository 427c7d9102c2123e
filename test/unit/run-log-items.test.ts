import { readFileSync } from 'node:fs';
import { STAGE_COUNTS } from '../../functions/shared/alerts';
import { replayKey, replaySchema } from '../../functions/shared/replay';
import { stageSchema, summarySchema } from '../../functions/shared/run-log';
import { executionTimeoutSeconds, ingestionDefinition } from '../../statemachine/definition.js';

/** The run log's one schema (functions/shared/run-log-items.json): every writer's names are checked against it here
 *  (TypeScript, the state machine) and in glue-scripts/tests/test_runlog.py (the Glue jobs). */
const schema = JSON.parse(readFileSync('functions/shared/run-log-items.json', 'utf8')) as {
  summary: { attributes: string[] };
  stage: { attributes: string[] };
  replay: { key: { pk: string; sk: string }; attributes: string[] };
  metrics: Record<string, string[]>;
};
const INDEX_KEYS = ['datasetKey', 'recentKey', 'objectKey'];

test("the TypeScript items are the schema's: the summary (with its index keys) and the stage item", () => {
  expect(['pk', 'sk', ...INDEX_KEYS, ...Object.keys(summarySchema.shape)].sort()).toEqual([...schema.summary.attributes].sort());
  expect(['pk', 'sk', ...Object.keys(stageSchema.shape)].sort()).toEqual([...schema.stage.attributes].sort());
});

test("the REPLAY item is the schema's, under the key the schema gives it", () => {
  expect(['pk', 'sk', ...Object.keys(replaySchema.shape)].sort()).toEqual([...schema.replay.attributes].sort());
  expect(replayKey('dailycheckin', '20261207T203000Z-0a1b2c3d')).toEqual({
    pk: schema.replay.key.pk.replace('<dataset>', 'dailycheckin'),
    sk: schema.replay.key.sk.replace('<replayId>', '20261207T203000Z-0a1b2c3d'),
  });
});

test('the counts an alert shows per stage are metrics that stage records', () => {
  for (const [stage, counts] of Object.entries(STAGE_COUNTS)) {
    for (const metric of Object.values(counts)) expect({ stage, metric, recorded: schema.metrics[stage]!.includes(metric) }).toEqual({ stage, metric, recorded: true });
  }
});

interface Task {
  Resource?: string;
  Parameters?: { Key?: { sk?: { S?: string; 'S.$'?: string } }; Item?: Record<string, unknown>; UpdateExpression?: string; ExpressionAttributeNames?: Record<string, string> };
}

/** Every attribute a state writes, with the item it writes: from a putItem's Item, or an updateItem's expression. */
function writes(state: Task): { item: 'summary' | 'stage'; attributes: string[] } | undefined {
  const p = state.Parameters;
  if (!state.Resource?.startsWith('arn:aws:states:::dynamodb:') || !p) return undefined;
  const sk = p.Key?.sk?.S ?? (p.Item?.sk as { S?: string } | undefined)?.S ?? p.Key?.sk?.['S.$'] ?? '';
  const item = sk === 'SUMMARY' ? 'summary' : /STAGE#/.test(sk) ? 'stage' : undefined;
  if (!item) throw new Error(`a run-log write of no known item: ${JSON.stringify(p.Key)}`);
  if (p.Item) return { item, attributes: Object.keys(p.Item) };
  // SET a = …, b = if_not_exists(b, :x)   REMOVE c, d   ADD e :n
  const expression = p.UpdateExpression ?? '';
  const set = /\bSET\b(.*?)(?=\b(?:REMOVE|ADD|DELETE)\b|$)/.exec(expression)?.[1] ?? '';
  const rest = [...expression.matchAll(/\b(?:REMOVE|ADD|DELETE)\b(.*?)(?=\b(?:SET|REMOVE|ADD|DELETE)\b|$)/g)].map((m) => m[1]!);
  const names = [
    ...[...set.matchAll(/(?:^|,)\s*(#?\w+)\s*=/g)].map((m) => m[1]!),
    ...rest.flatMap((clause) => clause.split(',').map((c) => c.trim().split(/\s/)[0]!)),
  ].filter(Boolean);
  return { item, attributes: names.map((n) => (n.startsWith('#') ? p.ExpressionAttributeNames![n]! : n)) };
}

test('every attribute the state machine writes to a summary or a stage item is in the schema', () => {
  const { States } = ingestionDefinition({ timeoutSeconds: executionTimeoutSeconds(60) }) as { States: Record<string, Task> };
  const written = Object.entries(States).flatMap(([name, state]) => {
    const w = writes(state);
    return w ? w.attributes.map((attribute) => ({ name, item: w.item, attribute })) : [];
  });
  expect(written.length).toBeGreaterThan(30);
  for (const w of written) expect({ ...w, known: schema[w.item].attributes.includes(w.attribute) }).toEqual({ ...w, known: true });
});
