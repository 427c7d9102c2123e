import { execFileSync } from 'node:child_process';
import { ACCEPTED_EXTENSIONS, extensionOf } from '../../functions/shared/extensions';

test('the executor and the Glue jobs accept the same file names, whatever their case', () => {
  const python = (code: string) =>
    JSON.parse(execFileSync('../.venv/bin/python', ['-c', `import json; from landing_etl import extensions; print(json.dumps(${code}))`], { cwd: 'glue-scripts', encoding: 'utf8' })) as unknown;
  expect(python('extensions.ACCEPTED')).toEqual([...ACCEPTED_EXTENSIONS]);
  const keys = ['d/a.csv', 'd/a.CSV', 'd/a.Csv.Gz', 'd/a.csv.BZ2', 'd/a.csv.zip', 'd/a.gz', 'd/csv', 'd/a.csv.gz.txt', 'd/.csv'];
  expect(python(`[extensions.extension_of(k) for k in ${JSON.stringify(keys)}]`)).toEqual(keys.map((k) => extensionOf(k) ?? null));
  expect(keys.map((k) => extensionOf(k))).toEqual(['.csv', '.csv', '.csv.gz', '.csv.bz2', undefined, undefined, undefined, undefined, '.csv']);
});
