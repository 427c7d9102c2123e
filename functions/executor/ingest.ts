import { maxBytes, type DatasetContract } from '../shared/contracts';
import { ACCEPTED_DESCRIPTION, extensionOf } from '../shared/extensions';
import { executionName, type ExecutionInput } from '../shared/execution';
import { minutesLate } from '../shared/freshness';
import { businessDate, ingestionId } from '../shared/ingestion-id';
import type { NewIngestion } from '../shared/run-log';
import type { LandedObject } from './s3-event';

export interface IngestionPorts {
  contracts: Map<string, DatasetContract>;
  /** Writes the RECEIVED (or REJECTED) summary conditionally; false when it already exists (a redelivery). */
  record(ingestion: NewIngestion): Promise<boolean>;
  /** Starts the run; 'exists' when an execution of that name already exists (ExecutionAlreadyExists). */
  start(name: string, input: ExecutionInput): Promise<{ executionArn: string } | 'exists'>;
  /** Records the execution on the summary; false when one was recorded already. */
  recordExecution(ingestionId: string, executionArn: string): Promise<boolean>;
  countDuplicate(ingestionId: string): Promise<void>;
  /** Takes an admission slot for the ingestion: false when as many ingestions as allowed are running. */
  admit(ingestionId: string): Promise<boolean>;
  /** Records that the ingestion waits for a slot (QUEUED), once. */
  markQueued(ingestionId: string, dataset: string): Promise<void>;
  /** Closes the dataset's open MISSING entry for the business date as LATE; false when none is open. */
  closeMissing(dataset: string, businessDate: string, arrival: { ingestionId: string; arrivedAt: string; lateByMinutes: number }): Promise<boolean>;
  alert(subject: string, message: Record<string, unknown>): Promise<void>;
  dataBucket: string;
  qualityMode?: 'hard' | 'soft' | undefined;
  now(): Date;
}

export type Outcome =
  | { outcome: 'started'; ingestionId: string; executionArn: string }
  | { outcome: 'queued'; ingestionId: string }
  | { outcome: 'duplicate'; ingestionId: string; reason: string }
  | { outcome: 'rejected'; ingestionId: string; reason: string }
  | { outcome: 'ignored'; key: string; reason: string };


/** The ingestion a landed object becomes; undefined for a folder marker, which is no ingestion at all. */
export function identify(obj: LandedObject): { ingestionId: string; dataset: string; businessDate: string } | undefined {
  if (obj.key.endsWith('/')) return undefined;
  const dataset = obj.key.includes('/') ? obj.key.split('/')[0]! : '';
  const date = obj.replay?.businessDate ?? businessDate(obj.key, obj.eventTime);
  return { ingestionId: ingestionId(dataset || 'unknown', date, obj, obj.replay?.replayId), dataset, businessDate: date };
}

/** Turns one landed object into exactly one ingestion: started, queued for a slot (its message comes back later),
 *  recognised as a duplicate delivery, or rejected. Infrastructure errors propagate so the message is delivered
 *  again; a repeated delivery only repeats what is missing. */
export async function ingestLandedObject(obj: LandedObject, ports: IngestionPorts): Promise<Outcome> {
  const identity = identify(obj);
  if (!identity) return { outcome: 'ignored', key: obj.key, reason: 'folder marker' };
  const { ingestionId: id, dataset, businessDate: date } = identity;
  const uri = `s3://${obj.bucket}/${obj.key}`;
  const base = {
    ingestionId: id,
    dataset: dataset || '(none)',
    businessDate: date,
    sourceUri: uri,
    ...(obj.versionId ? { sourceVersion: obj.versionId } : {}),
    ...(obj.replay ? { replayOf: obj.replay.replayOf, replayId: obj.replay.replayId } : {}),
    receivedAt: ports.now().toISOString(),
  };
  const duplicate = async (reason: string): Promise<Outcome> => {
    await ports.countDuplicate(id);
    return { outcome: 'duplicate', ingestionId: id, reason };
  };

  const reason = rejectionReason(obj, dataset, ports.contracts);
  if (reason) {
    if (!(await ports.record({ ...base, status: 'REJECTED', error: 'Rejected', cause: reason }))) {
      return duplicate('this object was already rejected');
    }
    await ports.alert(`landing-etl: ${truncate(obj.key, 50)} rejected`, { event: 'INGESTION_REJECTED', ...base, reason });
    return { outcome: 'rejected', ingestionId: id, reason };
  }

  const contract = ports.contracts.get(dataset)!;
  const input: ExecutionInput = {
    ingestionId: id,
    dataset,
    businessDate: date,
    attempt: 1,
    source: {
      bucket: obj.bucket,
      key: obj.key,
      versionId: obj.versionId ?? null,
      sequencer: obj.sequencer ?? null,
      uri,
      size: obj.size,
    },
    stagingUri: `s3://${ports.dataBucket}/staging/${dataset}/${id}`,
    qualityMode: ports.qualityMode ?? contract.quality.mode,
  };
  // The summary may exist from an earlier delivery whose start failed; starting again is safe because the
  // execution name is the ingestion id, so the start decides whether this delivery is a duplicate.
  await ports.record({
    ...base,
    status: 'RECEIVED',
    ingestedTable: contract.target.table,
    executionInput: JSON.stringify(input),
  });
  await closeMissingFile(contract, base, ports);
  // At most the allowed number of ingestions run at once: this one waits in the landing queue for a slot.
  if (!(await ports.admit(id))) {
    await ports.markQueued(id, dataset);
    return { outcome: 'queued', ingestionId: id };
  }
  const started = await ports.start(executionName(id, 1), input);
  if (started === 'exists') return duplicate('its execution already exists');
  // Step Functions answers a StartExecution with the name and input of a running execution with that execution:
  // only the delivery that records it first started the run.
  if (!(await ports.recordExecution(id, started.executionArn))) return duplicate('its execution was already started');
  return { outcome: 'started', ingestionId: id, executionArn: started.executionArn };
}

/** The file of a business date the freshness checker reported missing has come: the entry is closed as late, with how
 *  late, and the one alert about it follows. Conditional, so a redelivery (or the retry of this event) closes nothing. */
async function closeMissingFile(contract: DatasetContract, base: { ingestionId: string; dataset: string; businessDate: string; sourceUri: string; receivedAt: string }, ports: IngestionPorts) {
  if (!contract.schedule) return;
  const lateByMinutes = minutesLate(contract.schedule, base.businessDate, new Date(base.receivedAt));
  const closed = await ports.closeMissing(base.dataset, base.businessDate, { ingestionId: base.ingestionId, arrivedAt: base.receivedAt, lateByMinutes });
  if (closed) {
    await ports.alert(`landing-etl: ${base.dataset} file for ${base.businessDate} arrived ${lateByMinutes} min late`, {
      event: 'FILE_ARRIVED_LATE',
      ...base,
      lateByMinutes,
    });
  }
}

const truncate = (s: string, n: number) => (s.length > n ? `…${s.slice(-(n - 1))}` : s);

function rejectionReason(obj: LandedObject, dataset: string, contracts: Map<string, DatasetContract>) {
  const extension = extensionOf(obj.key);
  if (!extension) return `${obj.key} is not ${ACCEPTED_DESCRIPTION}`;
  if (obj.size === 0) return `${obj.key} is empty (0 bytes)`;
  const contract = contracts.get(dataset);
  if (!contract) {
    const where = dataset ? `"${dataset}" (the first folder of the key)` : 'a file outside any dataset folder';
    return `no dataset contract for ${where}; known datasets: ${[...contracts.keys()].join(', ')}`;
  }
  // A compressed file's CSV is only known as it inflates: the transform refuses it there (source.py).
  if (extension === '.csv' && obj.size > maxBytes(contract)) {
    return `${obj.key} is ${obj.size} bytes of CSV, more than max_bytes (${maxBytes(contract)}) of dataset ${dataset}`;
  }
  return undefined;
}
