import type { DatasetContract } from '../shared/contracts';
import { businessDate, ingestionId } from '../shared/ingestion-id';
import type { NewIngestion } from '../shared/run-log';
import type { LandedObject } from './s3-event';

/** What the state machine receives: everything a stage needs, so the jobs never look anything up. */
export interface ExecutionInput {
  ingestionId: string;
  dataset: string;
  businessDate: string;
  attempt: number;
  source: { bucket: string; key: string; versionId: string | null; uri: string; size: number };
  stagingUri: string;
  qualityMode: 'hard' | 'soft';
}

export interface IngestionPorts {
  contracts: Map<string, DatasetContract>;
  /** Records the RECEIVED (or REJECTED) item; false when it already exists. */
  record(ingestion: NewIngestion, sourceObject: string): Promise<boolean>;
  /** Starts the run; 'duplicate' when an execution of that name already exists. */
  start(name: string, input: ExecutionInput): Promise<'started' | 'duplicate'>;
  alert(subject: string, message: Record<string, unknown>): Promise<void>;
  dataBucket: string;
  qualityMode?: 'hard' | 'soft' | undefined;
  now(): Date;
}

export type Outcome =
  | { outcome: 'started' | 'duplicate'; ingestionId: string }
  | { outcome: 'rejected'; ingestionId: string; reason: string }
  | { outcome: 'ignored'; key: string; reason: string };

const ACCEPTED_SUFFIXES = ['.csv', '.csv.gz'];

/** Turns one landed object into exactly one ingestion: started, recognised as a duplicate, or rejected. */
export async function ingestLandedObject(obj: LandedObject, ports: IngestionPorts): Promise<Outcome> {
  if (obj.key.endsWith('/')) return { outcome: 'ignored', key: obj.key, reason: 'folder marker' };

  const datasetName = obj.key.split('/')[0]!;
  const date = businessDate(obj.key, obj.eventTime);
  const id = ingestionId(datasetName, date, obj);
  const uri = `s3://${obj.bucket}/${obj.key}`;
  const base = {
    ingestionId: id,
    dataset: datasetName,
    businessDate: date,
    sourceUri: uri,
    ...(obj.versionId ? { sourceVersion: obj.versionId } : {}),
    receivedAt: ports.now().toISOString(),
  };

  const reason = rejectionReason(obj, datasetName, ports.contracts);
  if (reason) {
    if (await ports.record({ ...base, status: 'REJECTED', error: 'Rejected', cause: reason }, uri)) {
      await ports.alert(`landing-etl: ${obj.key} rejected`, { ...base, status: 'REJECTED', reason });
    }
    return { outcome: 'rejected', ingestionId: id, reason };
  }

  const contract = ports.contracts.get(datasetName)!;
  // The item may exist from an earlier delivery whose start failed; starting again is safe because the
  // execution name is the ingestion id, so only the start decides whether this delivery is a duplicate.
  await ports.record({ ...base, status: 'RECEIVED', ingestedTable: contract.target.table }, uri);
  const started = await ports.start(id, {
    ingestionId: id,
    dataset: datasetName,
    businessDate: date,
    attempt: 1,
    source: { bucket: obj.bucket, key: obj.key, versionId: obj.versionId ?? null, uri, size: obj.size },
    stagingUri: `s3://${ports.dataBucket}/staging/${datasetName}/${id}`,
    qualityMode: ports.qualityMode ?? contract.quality.mode,
  });
  return { outcome: started, ingestionId: id };
}

function rejectionReason(obj: LandedObject, dataset: string, contracts: Map<string, DatasetContract>) {
  if (!ACCEPTED_SUFFIXES.some((s) => obj.key.toLowerCase().endsWith(s))) {
    return `${obj.key} is not a .csv or .csv.gz file`;
  }
  if (obj.size === 0) return `${obj.key} is empty (0 bytes)`;
  if (!contracts.has(dataset) || !obj.key.includes('/')) {
    return `no dataset contract for "${obj.key.includes('/') ? dataset : ''}" (the first folder of the key); known datasets: ${[...contracts.keys()].join(', ')}`;
  }
  return undefined;
}
