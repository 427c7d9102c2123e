import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATASET_NAME_MAX, loadContracts } from '../../functions/shared/contracts';
import { ContractError } from '../../functions/shared/errors';

function datasetsWith(name: string, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'landing-etl-contracts-'));
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ name, target: { table: 't' }, quality: { mode: 'soft' }, ...extra }));
  return dir;
}

test('a dataset name of the maximum length is accepted', () => {
  const name = 'd'.repeat(DATASET_NAME_MAX);
  expect([...loadContracts(datasetsWith(name)).keys()]).toEqual([name]);
});

test('a dataset name one character too long is refused, naming the file and the field', () => {
  const name = 'd'.repeat(DATASET_NAME_MAX + 1);
  const dir = datasetsWith(name);
  expect(() => loadContracts(dir)).toThrow(ContractError);
  expect(() => loadContracts(dir)).toThrow(`${join(dir, `${name}.json`)}: field name must be at most ${DATASET_NAME_MAX} characters`);
});

test('a schedule takes its defaults: every day, no grace, the file due the day after its business date', () => {
  const contracts = loadContracts(datasetsWith('d', { schedule: { due: '06:00', timeZone: 'Europe/London' } }));
  expect(contracts.get('d')!.schedule).toEqual({ every: 'day', due: '06:00', timeZone: 'Europe/London', graceMinutes: 0, businessDate: 'previous day' });
});

test.each([
  [{ due: '6:00', timeZone: 'UTC' }, 'field schedule.due must be a 24-hour local time "HH:MM", e.g. "06:00"'],
  [{ due: '24:00', timeZone: 'UTC' }, 'field schedule.due must be a 24-hour local time'],
  [{ due: '06:00', timeZone: 'Europe/Londres' }, 'field schedule.timeZone must be an IANA time zone name such as "Europe/London" or "UTC"'],
  [{ due: '06:00' }, 'field schedule.timeZone must be an IANA time zone name'],
  [{ due: '06:00', timeZone: 'UTC', graceMinutes: 1441 }, 'field schedule.graceMinutes must be 0–1440 minutes'],
  [{ due: '06:00', timeZone: 'UTC', every: 'hour' }, 'field schedule.every must be "day" or "weekday"'],
  [{ due: '06:00', timeZone: 'UTC', businessDate: 'yesterday' }, 'field schedule.businessDate must be "previous day" or "same day"'],
  [{ due: '06:00', timeZone: 'UTC', cron: '0 6 * * *' }, 'field schedule has unknown key(s) cron; known: every, due, timeZone, graceMinutes, businessDate'],
  ['daily', 'field schedule must be an object such as { "due": "06:00", "timeZone": "Europe/London" }'],
])('a schedule %j is refused: %s', (schedule, message) => {
  const dir = datasetsWith('d', { schedule });
  expect(() => loadContracts(dir)).toThrow(`${join(dir, 'd.json')}: ${message}`);
});
