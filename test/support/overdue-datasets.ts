import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContracts, type Schedule } from '../../functions/shared/contracts';

/** A copy of datasets/ (for LANDING_ETL_DATASETS_DIR) in which dailycheckin's file is overdue at `now`, whatever the
 *  hour: due 90 minutes before `now` in its zone, so the latest due business date's 60-minute grace period has run out.
 *  With the shipped 06:00 Europe/London, a test started between 06:00 and 07:00 London time sits in that grace period,
 *  where nothing is missing yet (the checker, the API and the executor all agree on that, each by its own clock). */
export function overdueDatasets(now: Date): { dir: string; schedule: Schedule } {
  const dir = mkdtempSync(join(tmpdir(), 'landing-etl-datasets-'));
  cpSync('datasets', dir, { recursive: true });
  const file = join(dir, 'dailycheckin.json');
  const contract = JSON.parse(readFileSync(file, 'utf8')) as { schedule: Schedule };
  const due = new Intl.DateTimeFormat('en-GB', { timeZone: contract.schedule.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(now.getTime() - 90 * 60_000),
  );
  writeFileSync(file, JSON.stringify({ ...contract, schedule: { ...contract.schedule, due, graceMinutes: 60 } }));
  return { dir, schedule: loadContracts(dir).get('dailycheckin')!.schedule! };
}
