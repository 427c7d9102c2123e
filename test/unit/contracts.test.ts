import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATASET_NAME_MAX, loadContracts } from '../../functions/shared/contracts';
import { ContractError } from '../../functions/shared/errors';

function datasetsWith(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'landing-etl-contracts-'));
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ name, target: { table: 't' }, quality: { mode: 'soft' } }));
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
