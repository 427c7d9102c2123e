import { Ajv2020 } from 'ajv/dist/2020.js';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContracts } from '../../functions/shared/contracts';

// datasets/contract.schema.json is what editors check a contract against as it is typed; the Glue jobs read the
// same contracts (glue-scripts/tests/test_contract_schema.py holds them to the schema from Python).
const schema = JSON.parse(readFileSync('datasets/contract.schema.json', 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true }).compile(schema);
const contracts = readdirSync('datasets').filter((f) => f.endsWith('.json') && f !== 'contract.schema.json');

test.each(contracts)('%s names the schema and validates against it', (file) => {
  const raw = JSON.parse(readFileSync(join('datasets', file), 'utf8')) as Record<string, unknown>;
  expect(raw.$schema).toBe('./contract.schema.json');
  expect(validate(raw) ? [] : validate.errors).toEqual([]);
});

test('the schema refuses what the readers refuse: an unknown key, a bad name, a rule without its parameter', () => {
  const base = JSON.parse(readFileSync('datasets/dailycheckin.json', 'utf8')) as Record<string, unknown>;
  expect(validate(base)).toBe(true);
  expect(validate({ ...base, colour: 'red' })).toBe(false);
  expect(validate({ ...base, name: 'Daily-Checkin' })).toBe(false);
  expect(validate({ ...base, quality: { mode: 'lenient' } })).toBe(false);
  expect(validate({ ...base, columns: [{ name: 'a', type: 'string', target: 'a', rules: [{ check: 'pattern' }] }] })).toBe(false);
});

test('the executor reads the contracts of the datasets folder and not the schema beside them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'landing-etl-schema-'));
  writeFileSync(join(dir, 'contract.schema.json'), JSON.stringify(schema));
  writeFileSync(join(dir, 'd.json'), readFileSync('datasets/dailycheckin.json', 'utf8').replace('"dailycheckin"', '"d"'));
  expect([...loadContracts(dir).keys()]).toEqual(['d']);
  expect([...loadContracts('datasets').keys()]).toEqual(contracts.map((f) => f.replace(/\.json$/, '')));
});
