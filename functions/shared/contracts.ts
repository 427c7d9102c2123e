import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod/mini';
import { ContractError } from './errors';

/** The longest dataset name. The name heads the landing key, the ingestion id (a Step Functions execution name of
 *  at most 80 characters) and the subject of the state machine's alerts, which SNS caps below 100 characters: the
 *  longest subject is 56 characters plus the name (test/integration/statemachine.test.ts runs it).
 *  glue-scripts/landing_etl/contract.py checks the same pattern and length. */
export const DATASET_NAME_MAX = 40;

/** The part of a dataset contract (datasets/NAME.json) the Lambdas use; the Glue jobs validate the whole file, and
 *  datasets/contract.schema.json describes it for editors (test/unit/contract-schema.test.ts and
 *  glue-scripts/tests/test_contract_schema.py hold both readers to it). */
const contractSchema = z.object({
  name: z
    .string()
    .check(
      z.regex(/^[a-z][a-z0-9_]*$/, 'must be lowercase letters, digits and _'),
      z.maxLength(DATASET_NAME_MAX, `must be at most ${DATASET_NAME_MAX} characters`),
    ),
  target: z.object({ table: z.string().check(z.minLength(1)) }),
  quality: z.object({ mode: z.enum(['hard', 'soft']) }),
});
export type DatasetContract = z.infer<typeof contractSchema>;

/** Reads every contract in the datasets folder (bundled beside the Lambda code), validating each one; the folder's
 *  contract.schema.json is the contracts' JSON Schema, for editors and the tests, not a contract. */
export function loadContracts(dir = process.env.DATASETS_DIR ?? resolve('datasets')): Map<string, DatasetContract> {
  const contracts = new Map<string, DatasetContract>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json')).sort()) {
    const path = join(dir, file);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new ContractError(`${path}: not valid JSON (${(e as Error).message})`);
    }
    const parsed = contractSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ContractError(`${path}: field ${issue.path.join('.') || '(root)'} ${issue.message}`);
    }
    if (`${parsed.data.name}.json` !== file) {
      throw new ContractError(`${path}: field name is "${parsed.data.name}" but the file is named ${file}`);
    }
    contracts.set(parsed.data.name, parsed.data);
  }
  return contracts;
}
