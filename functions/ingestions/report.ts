import * as z from 'zod/mini';
import { executionInputSchema } from '../shared/execution';
import { NotFoundError } from '../shared/errors';
import type { RunLog } from '../shared/run-log';
import { stagedOutputs, type StagingZone } from '../shared/staging-zone';

/** The quality report the test stage wrote (glue-scripts/landing_etl/quality.py `report`). */
const reportSchema = z.object({
  ingestionId: z.string(),
  dataset: z.string(),
  mode: z.string(),
  rowsIn: z.number(),
  accepted: z.number(),
  rejected: z.number(),
  duplicates: z.number(),
  rules: z.array(
    z.object({
      rule: z.string(),
      severity: z.string(),
      checked: z.number(),
      failed: z.number(),
      examples: z.array(z.object({ line: z.nullable(z.number()), value: z.nullable(z.string()), reason: z.string() })),
    }),
  ),
});
export type QualityReport = z.infer<typeof reportSchema> & { location: { report: string; rejectedRows: string } };

/** GET /ingestions/{id}/report: the quality report of an ingestion, read from the staging zone at the place its run
 *  log names, with where the report and the rejected rows are stored. */
export async function readReport(runLog: RunLog, staging: StagingZone, id: string): Promise<QualityReport> {
  // One Query of the ingestion's partition, the read the ingestions function is allowed (no GetItem grant).
  const summary = (await runLog.get(id))?.summary;
  if (!summary) throw new NotFoundError(`no ingestion ${id}`);
  const input = summary.executionInput ? executionInputSchema.parse(JSON.parse(summary.executionInput)) : undefined;
  if (!input) throw new NotFoundError(`ingestion ${id} was not run (${summary.status}): it has no quality report`);
  // Runs recorded before staging was scoped to the attempt wrote their report at the ingestion's staging root.
  const location = stagedOutputs(input.stagingUri, summary.attempt);
  const legacy = { report: `${input.stagingUri}/quality-report.json`, rejectedRows: `${input.stagingUri}/rejected/` };
  let raw = await staging.readJson(location.report);
  if (raw === undefined && summary.attempt === 1) {
    raw = await staging.readJson(legacy.report);
    if (raw !== undefined) Object.assign(location, legacy);
  }
  if (raw === undefined) throw new NotFoundError(`ingestion ${id} has no quality report yet: its test stage has not written one`);
  const report = reportSchema.parse(raw);
  // The report of another ingestion or dataset at this place would be a bug upstream; never serve it as this one's.
  if (report.ingestionId !== id || report.dataset !== summary.dataset) throw new NotFoundError(`ingestion ${id} has no quality report of its own`);
  return { ...report, location };
}
