import type { DatasetContract } from '../shared/contracts';
import type { DatasetLog, RecentIngestion } from '../shared/dataset-log';
import { datasetState } from '../shared/datasets-view';
import { deadline } from '../shared/freshness';

/** One check of every dataset at one instant (the schedule's time, so a test or a late retry checks the moment it
 *  names): records and alerts a scheduled file that is missing, and publishes each dataset's metrics. */

export interface CheckPorts {
  contracts: Map<string, DatasetContract>;
  log: DatasetLog;
  alert(subject: string, message: Record<string, unknown>): Promise<void>;
  /** Publishes a dataset's metric values at an instant (CloudWatch, as embedded metric format log lines). */
  metrics(dataset: string, at: Date, values: Record<string, number>): void;
}

export interface DatasetCheck {
  dataset: string;
  status: string;
  businessDate: string | null;
  /** A MISSING entry was recorded and alerted by this check (false when one existed: alerted once already). */
  alerted: boolean;
  /** Ended runs whose row counts this check published. */
  runsPublished: number;
}

/** Run metrics are published for runs that ended at most this long ago: CloudWatch refuses older data points. */
const METRIC_MAX_AGE_MS = 13 * 86_400_000;

export async function checkFreshness(now: Date, ports: CheckPorts): Promise<DatasetCheck[]> {
  const checks: DatasetCheck[] = [];
  for (const contract of [...ports.contracts.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    checks.push(await checkDataset(contract, now, ports));
  }
  return checks;
}

async function checkDataset(contract: DatasetContract, now: Date, ports: CheckPorts): Promise<DatasetCheck> {
  const state = await datasetState(contract, ports.log, now);
  const { freshness } = state;
  let alerted = false;
  if (freshness.status === 'missing' && contract.schedule) {
    const entry = {
      dataset: contract.name,
      businessDate: freshness.businessDate!,
      dueAt: freshness.dueAt!,
      deadlineAt: deadline(contract.schedule, freshness.businessDate!).toISOString(),
      detectedAt: now.toISOString(),
    };
    // The conditional write decides which check alerts: exactly one per dataset and business date.
    if (await ports.log.recordMissing(entry)) {
      try {
        await ports.alert(`landing-etl: ${contract.name} file for ${entry.businessDate} missing`, {
          event: 'FILE_MISSING',
          ...entry,
          schedule: contract.schedule,
          lastSuccess: state.lastSuccess
            ? { ingestionId: state.lastSuccess.ingestionId, businessDate: state.lastSuccess.businessDate, endedAt: state.lastSuccess.endedAt }
            : null,
        });
      } catch (e) {
        // Not alerted: the claim is given back, so the next check sends it.
        await ports.log.releaseAlert(entry);
        throw e;
      }
      alerted = true;
    }
  }
  if (state.minutesSinceSuccess !== null) ports.metrics(contract.name, now, { MinutesSinceLastSuccess: state.minutesSinceSuccess });
  const runsPublished = await publishRunMetrics(contract.name, state.runs, now, ports);
  return { dataset: contract.name, status: freshness.status, businessDate: freshness.businessDate, alerted, runsPublished };
}

/** Each ended run's rows loaded and rejected, once per attempt (claimed in the run log), at the time it ended. */
async function publishRunMetrics(dataset: string, runs: RecentIngestion[], now: Date, ports: CheckPorts): Promise<number> {
  let published = 0;
  for (const run of runs) {
    if ((run.status !== 'SUCCEEDED' && run.status !== 'FAILED') || !run.endedAt) continue;
    if (now.getTime() - Date.parse(run.endedAt) > METRIC_MAX_AGE_MS) continue;
    if (!(await ports.log.claimMetrics(run.ingestionId, run.attempt))) continue;
    const figures = await ports.log.figures(run.ingestionId);
    ports.metrics(dataset, new Date(run.endedAt), {
      RowsLoaded: run.status === 'SUCCEEDED' ? figures.rowsLoaded : 0,
      RowsRejected: figures.rowsRejected,
    });
    published += 1;
  }
  return published;
}
