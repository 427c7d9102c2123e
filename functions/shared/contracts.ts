import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod/mini';
import { ContractError } from './errors';

/** The longest dataset name. The name heads the landing key, the ingestion id (a Step Functions execution name of
 *  at most 80 characters) and the subject of the state machine's alerts, which SNS caps below 100 characters: the
 *  longest subject is 56 characters plus the name (test/integration/statemachine.test.ts runs it).
 *  glue-scripts/landing_etl/contract.py checks the same pattern and length. */
export const DATASET_NAME_MAX = 40;

/** The most bytes of CSV a file may hold, decompressed, unless the contract's max_bytes says otherwise
 *  (docs/limits.md; glue-scripts/landing_etl/contract.py has the same default). */
export const DEFAULT_MAX_BYTES = 4 * 1024 ** 3;

/** A time zone the runtime's ICU knows (IANA names such as Europe/London; the Lambda Node.js runtime has full ICU). */
function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** When a dataset's file is due (docs/run-log.md: Freshness): the file for each business date is due at `due`
 *  local time in `timeZone` on the business date itself ("same day") or on the day after it ("previous day": a nightly
 *  extract of yesterday), every day or on weekdays only (business dates Monday to Friday); it is missing once
 *  `graceMinutes` more have passed. glue-scripts/landing_etl/contract.py accepts the same. */
export const scheduleSchema = z.strictObject({
  every: z._default(z.enum(['day', 'weekday'], { error: 'must be "day" or "weekday"' }), 'day'),
  due: z.string({ error: 'must be a time "HH:MM"' }).check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour local time "HH:MM", e.g. "06:00"')),
  timeZone: z.string({ error: 'must be an IANA time zone name' }).check(z.refine(isTimeZone, 'must be an IANA time zone name such as "Europe/London" or "UTC"')),
  graceMinutes: z._default(
    z.int({ error: 'must be a whole number of minutes' }).check(z.minimum(0, 'must be 0–1440 minutes'), z.maximum(1440, 'must be 0–1440 minutes')),
    0,
  ),
  businessDate: z._default(z.enum(['previous day', 'same day'], { error: 'must be "previous day" or "same day"' }), 'previous day'),
}, {
  error: (issue) =>
    issue.code === 'unrecognized_keys'
      ? `has unknown key(s) ${issue.keys.join(', ')}; known: every, due, timeZone, graceMinutes, businessDate`
      : 'must be an object such as { "due": "06:00", "timeZone": "Europe/London" }',
});
export type Schedule = z.infer<typeof scheduleSchema>;

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
  description: z.optional(z.string()),
  target: z.object({ table: z.string().check(z.minLength(1)) }),
  quality: z.object({ mode: z.enum(['hard', 'soft']) }),
  schedule: z.optional(scheduleSchema),
  /** Read as maxBytes(contract). */
  max_bytes: z.optional(z.int({ error: 'must be a whole number of bytes' }).check(z.positive('must be a positive number of bytes'))),
});
export type DatasetContract = z.infer<typeof contractSchema>;

export const maxBytes = (contract: DatasetContract) => contract.max_bytes ?? DEFAULT_MAX_BYTES;

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
