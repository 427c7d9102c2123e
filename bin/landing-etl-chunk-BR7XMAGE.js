#!/usr/bin/env node
// Built by `npm run build:cli` (scripts/build-cli.mjs) from cli/: edit the sources, then rebuild.
import {
  ReplaySendError,
  StackNotRunningError,
  localAws,
  runningStack
} from "./landing-etl-chunk-6BP6GOZP.js";

// functions/shared/errors.ts
var ContractError = class extends Error {
  name = "ContractError";
};
var InvalidCursorError = class extends Error {
  name = "InvalidCursorError";
};
var IngestionNotFoundError = class extends Error {
  name = "IngestionNotFoundError";
};
var RetryRefusedError = class extends Error {
  name = "RetryRefusedError";
};
var RetryConflictError = class extends Error {
  name = "RetryConflictError";
};
var ReplayConflictError = class extends Error {
  name = "ReplayConflictError";
};

// functions/shared/run-log.ts
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand
} from "@aws-sdk/lib-dynamodb";
import * as z from "zod/mini";

// functions/shared/cursor.ts
var CURSOR_TEXT = /^[A-Za-z0-9_-]{1,1024}$/;
function encodeCursor(version, fields) {
  return Buffer.from(JSON.stringify([version, ...fields])).toString("base64url");
}
function decodeCursor(cursor, version, schema) {
  const invalid = () => new InvalidCursorError("is not a cursor this API issued");
  if (!CURSOR_TEXT.test(cursor)) throw invalid();
  let raw;
  try {
    raw = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(raw) || raw[0] !== version) throw invalid();
  const parsed = schema.safeParse(raw.slice(1));
  if (!parsed.success) throw invalid();
  return parsed.data;
}

// functions/shared/run-log.ts
var STAGES = ["transform", "test", "load"];
var INGESTION_STATUSES = ["RECEIVED", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "REJECTED"];
var IN_FLIGHT_STATUSES = ["RECEIVED", "QUEUED", "RUNNING"];
var RUN_LOG_INDEXES = { byDataset: "byDataset", byObject: "byObject" };
var text = () => z.optional(z.string());
var stageSchema = z.object({
  stage: z.enum(STAGES),
  status: z.enum(["RUNNING", "SUCCEEDED", "FAILED"]),
  attempt: z._default(z.int().check(z.positive()), 1),
  startedAt: text(),
  endedAt: text(),
  glueRunId: text(),
  /** The job the run belongs to, recorded with its id as the run starts, so whoever ends the execution can stop it. */
  glueJobName: text(),
  /** Glue's ExecutionTime of the stage's job run. */
  jobSeconds: z.optional(z.number()),
  /** The job run's DPU-seconds and its cost at list price (functions/shared/job-cost.ts). */
  dpuSeconds: z.optional(z.number()),
  costUsd: z.optional(z.number()),
  /** Links to the job run's logs: CloudWatch on AWS, the run's log file locally. */
  logs: z.optional(z.object({ output: z.string(), error: z.string() })),
  metrics: z.optional(z.record(z.string(), z.unknown())),
  error: text(),
  cause: text()
});
var summarySchema = z.object({
  ingestionId: z.string(),
  /** The same id under the attribute name dashboards of this kind of pipeline read. */
  ingestedID: z.string(),
  dataset: z.string(),
  businessDate: z.string(),
  sourceUri: z.string(),
  sourceVersion: text(),
  status: z.enum(INGESTION_STATUSES),
  /** Where the ingestion is or stopped: RECEIVED, TRANSFORM, TEST, LOAD, DONE or REJECTED. */
  state: z.string(),
  /** The stage running or halted at (lower case, as in STAGE#<stage>). */
  stage: z.optional(z.enum(STAGES)),
  ingestedTable: text(),
  attempt: z.int().check(z.positive()),
  receivedAt: z.string(),
  updatedAt: z.string(),
  startedAt: text(),
  endedAt: text(),
  /** When it first had to wait for a slot (admission control): it is part of a backlog. */
  queuedAt: text(),
  /** A replay's ingestion: the ingestion it re-runs and the replay (functions/shared/replay.ts) that started it. */
  replayOf: text(),
  replayId: text(),
  executionArn: text(),
  /** The state machine input, kept so a retry runs exactly the same ingestion again. */
  executionInput: text(),
  /** Deliveries of the same S3 event after the first (S3 delivers at least once). */
  duplicates: z.optional(z.int().check(z.nonnegative())),
  /** Row counts of the current attempt, copied from its stages by the Glue jobs (landing_etl/runlog.py) so a list
   *  of runs reads no stage items: source rows in, accepted / rejected / duplicate rows at test (`duplicates` counts S3 deliveries), rows loaded. */
  rowsIn: z.optional(z.number()),
  accepted: z.optional(z.number()),
  rejected: z.optional(z.number()),
  duplicateRows: z.optional(z.number()),
  rowsLoaded: z.optional(z.number()),
  /** Totals of every Glue job run of the ingestion, all attempts included. */
  dpuSeconds: z.optional(z.number()),
  costUsd: z.optional(z.number()),
  error: text(),
  cause: text()
});
var attemptSchema = z.extend(
  z.pick(summarySchema, { attempt: true, status: true, state: true, stage: true, startedAt: true, endedAt: true, executionArn: true, error: true, cause: true }),
  { stages: z.array(stageSchema) }
);
var summaryKey = (id) => ({ pk: `ING#${id}`, sk: "SUMMARY" });
var attemptKey = (id, attempt) => ({ pk: `ING#${id}`, sk: `ATTEMPT#${String(attempt).padStart(3, "0")}` });
var CONDITION = {
  /** No summary yet: the first delivery of an S3 event creates the ingestion, a redelivery finds it. */
  newIngestion: "attribute_not_exists(pk)",
  ingestionExists: "attribute_exists(pk)",
  /** Only the first delivery that started the execution records it. */
  executionNotYetRecorded: "attribute_exists(pk) AND attribute_not_exists(executionArn)",
  /** A retry claims attempt n+1 only while attempt n is still the FAILED one. */
  stillFailedAtAttempt: "#status = :failed AND attempt = :current",
  /** Releasing a claim undoes only that claim, not a retry that started meanwhile. */
  retryClaimedAndNotStarted: "#status = :received AND attempt = :next",
  /** An aborted attempt is marked only if the run did not end or move on meanwhile. */
  attemptStillInFlight: "attempt = :attempt AND #status IN (:received, :queued, :running)"
};
async function writtenIf(write) {
  try {
    await write;
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}
var datasetScope = (dataset) => ({ kind: "dataset", index: RUN_LOG_INDEXES.byDataset, keyName: "datasetKey", value: dataset });
var objectScope = (sourceUri) => ({ kind: "object", index: RUN_LOG_INDEXES.byObject, keyName: "objectKey", value: sourceUri });
var CURSOR_VERSION = 1;
var indexKeySchema = z.object({ pk: z.string(), sk: z.string(), recentKey: z.string() });
var ID = "[A-Za-z0-9_-]{1,80}";
var cursorFields = z.tuple([
  z.string().check(z.regex(new RegExp(`^ING#${ID}$`))),
  z.literal("SUMMARY"),
  z.string().check(z.minLength(1), z.maxLength(1024)),
  z.string().check(z.regex(new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z#${ID}$`)))
]);
function cursorOf(scope, item) {
  const key = indexKeySchema.parse(item);
  return encodeCursor(CURSOR_VERSION, [key.pk, key.sk, z.string().parse(item[scope.keyName]), key.recentKey]);
}
function startKey(cursor, scope) {
  const [pk, sk, issuedFor, recentKey] = decodeCursor(cursor, CURSOR_VERSION, cursorFields);
  if (!recentKey.endsWith(`#${pk.slice("ING#".length)}`)) throw new InvalidCursorError("is not one this API issued");
  if (issuedFor !== scope.value) throw new InvalidCursorError(`belongs to ${scope.kind} "${issuedFor}", not "${scope.value}"`);
  return { pk, sk, recentKey, [scope.keyName]: issuedFor };
}
var FILTERED_READ = 100;
var MAX_QUERY_PAGES = 10;
var RunLog = class {
  constructor(doc, table) {
    this.doc = doc;
    this.table = table;
  }
  doc;
  table;
  /** Writes the first item of an ingestion, conditionally. Returns false when it already exists (a redelivery). */
  async create(ingestion) {
    const item = {
      ...ingestion,
      state: ingestion.status,
      ingestedID: ingestion.ingestionId,
      updatedAt: ingestion.receivedAt,
      attempt: 1
    };
    return writtenIf(
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...summaryKey(ingestion.ingestionId),
            ...item,
            datasetKey: ingestion.dataset,
            recentKey: `${ingestion.receivedAt}#${ingestion.ingestionId}`,
            objectKey: ingestion.sourceUri
          },
          ConditionExpression: CONDITION.newIngestion
        })
      )
    );
  }
  /** The ingestion waits for a slot: QUEUED. True when it has just started to wait (it was RECEIVED). */
  async markQueued(id, now) {
    return writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(id),
          UpdateExpression: "SET #status = :queued, #state = :queued, updatedAt = :now, queuedAt = :now",
          ConditionExpression: "#status = :received",
          ExpressionAttributeNames: { "#status": "status", "#state": "state" },
          ExpressionAttributeValues: { ":queued": "QUEUED", ":received": "RECEIVED", ":now": now }
        })
      )
    );
  }
  /** Records the execution that runs the ingestion. False when one was recorded already: a concurrent duplicate
   *  delivery whose StartExecution Step Functions answered idempotently. */
  async recordExecution(id, executionArn) {
    return writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(id),
          UpdateExpression: "SET executionArn = :arn",
          ConditionExpression: CONDITION.executionNotYetRecorded,
          ExpressionAttributeValues: { ":arn": executionArn }
        })
      )
    );
  }
  async countDuplicate(id) {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: summaryKey(id),
        UpdateExpression: "ADD duplicates :one",
        ConditionExpression: CONDITION.ingestionExists,
        ExpressionAttributeValues: { ":one": 1 }
      })
    );
  }
  /** The full history of one ingestion. */
  async get(id) {
    const items = [];
    let start;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": summaryKey(id).pk },
          ConsistentRead: true,
          ExclusiveStartKey: start
        })
      );
      items.push(...page.Items ?? []);
      start = page.LastEvaluatedKey;
    } while (start);
    const summaryItem = items.find((i) => i.sk === "SUMMARY");
    if (!summaryItem) return void 0;
    const summary = summarySchema.parse(summaryItem);
    const stages = items.filter((i) => String(i.sk).startsWith("STAGE#")).map((i) => stageSchema.parse(i)).filter((s) => s.attempt === summary.attempt).sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage));
    const attempts = items.filter((i) => String(i.sk).startsWith("ATTEMPT#")).map((i) => attemptSchema.parse(i));
    return { summary, stages, attempts };
  }
  async getSummary(id) {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: summaryKey(id), ConsistentRead: true }));
    return Item ? summarySchema.parse(Item) : void 0;
  }
  /** The ingestions of a source object (s3://bucket/key), newest first, optionally only those received since. */
  async forObject(sourceUri, opts = {}) {
    const { Items = [] } = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: RUN_LOG_INDEXES.byObject,
        KeyConditionExpression: opts.since ? "objectKey = :o AND recentKey >= :since" : "objectKey = :o",
        ExpressionAttributeValues: { ":o": sourceUri, ...opts.since ? { ":since": opts.since } : {} },
        ScanIndexForward: false,
        Limit: opts.limit ?? 100
      })
    );
    return Items.map((i) => summarySchema.parse(i));
  }
  /** Recent ingestions of a dataset, newest first, a page at a time, optionally only those with one status. */
  recent(dataset, opts) {
    return this.page(datasetScope(dataset), opts);
  }
  /** The ingestions of one source object (s3://bucket/key), newest first, a page at a time, optionally only those
   *  with one status. */
  recentOfObject(sourceUri, opts) {
    return this.page(objectScope(sourceUri), opts);
  }
  /** One page of an index partition, newest first. With a status, the index is read until the page is full or the
   *  partition ends (or MAX_QUERY_PAGES reads, then a short page with a cursor); nextCursor is null only at the end. */
  async page(scope, opts) {
    const items = [];
    let start = opts.cursor ? startKey(opts.cursor, scope) : void 0;
    for (let reads = 0; reads < MAX_QUERY_PAGES; reads++) {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: scope.index,
          KeyConditionExpression: "#scope = :scope",
          ...opts.status ? { FilterExpression: "#status = :status" } : {},
          ExpressionAttributeNames: { "#scope": scope.keyName, ...opts.status ? { "#status": "status" } : {} },
          ExpressionAttributeValues: { ":scope": scope.value, ...opts.status ? { ":status": opts.status } : {} },
          ScanIndexForward: false,
          Limit: opts.status ? Math.max(opts.limit, FILTERED_READ) : opts.limit,
          ExclusiveStartKey: start
        })
      );
      for (const raw of page.Items ?? []) {
        items.push(summarySchema.parse(raw));
        if (items.length === opts.limit) return { items, nextCursor: cursorOf(scope, raw) };
      }
      start = page.LastEvaluatedKey;
      if (!start) return { items, nextCursor: null };
    }
    return { items, nextCursor: cursorOf(scope, start) };
  }
  /** Records what a stage's Glue job run cost on its stage item and adds it to the ingestion's totals. Once per run:
   *  a repeated call (an invocation retried) finds the figures of that run already there and adds nothing. */
  async recordStageCost(id, stage, cost, attempt) {
    const recorded = await writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: summaryKey(id).pk, sk: `STAGE#${stage}` },
          UpdateExpression: "SET glueRunId = :run, jobSeconds = :seconds, dpuSeconds = :dpu, costUsd = :cost, logs = :logs",
          // Once per run, and only onto the stage item of the run's own attempt.
          ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(costUsd) OR glueRunId <> :run)${attempt === void 0 ? "" : " AND attempt = :attempt"}`,
          ExpressionAttributeValues: {
            ...attempt === void 0 ? {} : { ":attempt": attempt },
            ":run": cost.glueRunId,
            ":seconds": cost.jobSeconds,
            ":dpu": cost.dpuSeconds,
            ":cost": cost.costUsd,
            ":logs": cost.logs
          }
        })
      )
    );
    if (!recorded) return false;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: summaryKey(id),
        UpdateExpression: "ADD dpuSeconds :dpu, costUsd :cost",
        ConditionExpression: CONDITION.ingestionExists,
        ExpressionAttributeValues: { ":dpu": cost.dpuSeconds, ":cost": cost.costUsd }
      })
    );
    return true;
  }
  /** Starts attempt n+1 of a FAILED ingestion: snapshots attempt n, then moves the summary on with a write
   *  conditional on it still being FAILED at attempt n, so of two concurrent retries exactly one wins. The snapshot
   *  comes first and is the same whoever writes it, so a lost race or a crash in between leaves nothing wrong. */
  async claimRetry(record2, executionArn, now) {
    const { summary, stages } = record2;
    const next = summary.attempt + 1;
    const snapshot = attemptSchema.parse({ ...summary, stages });
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { ...attemptKey(summary.ingestionId, summary.attempt), ...snapshot } })
    );
    const claimed = await writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(summary.ingestionId),
          UpdateExpression: "SET #status = :received, #state = :received, attempt = :next, executionArn = :arn, updatedAt = :now REMOVE stage, startedAt, endedAt, rowsIn, accepted, rejected, duplicateRows, rowsLoaded",
          ConditionExpression: CONDITION.stillFailedAtAttempt,
          ExpressionAttributeNames: { "#status": "status", "#state": "state" },
          ExpressionAttributeValues: {
            ":received": "RECEIVED",
            ":failed": "FAILED",
            ":next": next,
            ":current": summary.attempt,
            ":arn": executionArn,
            ":now": now
          }
        })
      )
    );
    if (!claimed) {
      throw new RetryConflictError(`ingestion ${summary.ingestionId} is no longer FAILED at attempt ${summary.attempt}: another retry started it`);
    }
    return next;
  }
  /** Undoes a claimed retry whose execution could not be started, so the ingestion can be retried again. */
  async releaseRetry(record2, now) {
    const { summary } = record2;
    const restore = { stage: summary.stage, startedAt: summary.startedAt, endedAt: summary.endedAt, executionArn: summary.executionArn };
    const present = Object.entries(restore).filter(([, v]) => v !== void 0);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: summaryKey(summary.ingestionId),
        UpdateExpression: `SET #status = :failed, #state = :state, attempt = :current, updatedAt = :now${present.map(([k]) => `, ${k} = :${k}`).join("")}`,
        ConditionExpression: CONDITION.retryClaimedAndNotStarted,
        ExpressionAttributeNames: { "#status": "status", "#state": "state" },
        ExpressionAttributeValues: {
          ":failed": "FAILED",
          ":received": "RECEIVED",
          ":state": summary.state,
          ":current": summary.attempt,
          ":next": summary.attempt + 1,
          ":now": now,
          ...Object.fromEntries(present.map(([k, v]) => [`:${k}`, v]))
        }
      })
    );
  }
  /** Marks attempt `attempt` of an ingestion FAILED when its execution ended without recording its end (stopped,
   *  timed out, or failed outside any step; the local stack stopped mid-run). Leaves the ingestion alone if a later
   *  attempt or the run itself moved on. */
  async markAborted(id, attempt, error, cause, now) {
    const record2 = await this.get(id);
    if (!record2 || record2.summary.attempt !== attempt || !IN_FLIGHT_STATUSES.includes(record2.summary.status)) return;
    for (const s of record2.stages.filter((st) => st.status === "RUNNING")) {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: summaryKey(id).pk, sk: `STAGE#${s.stage}` },
          UpdateExpression: "SET #status = :failed, endedAt = :now, #error = :error, #cause = :cause",
          ExpressionAttributeNames: { "#status": "status", "#error": "error", "#cause": "cause" },
          ExpressionAttributeValues: { ":failed": "FAILED", ":now": now, ":error": error, ":cause": cause }
        })
      );
    }
    await writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(id),
          UpdateExpression: "SET #status = :failed, updatedAt = :now, endedAt = :now, #error = :error, #cause = :cause",
          ConditionExpression: CONDITION.attemptStillInFlight,
          ExpressionAttributeNames: { "#status": "status", "#error": "error", "#cause": "cause" },
          ExpressionAttributeValues: {
            ":failed": "FAILED",
            ":now": now,
            ":error": error,
            ":cause": cause,
            ":attempt": attempt,
            ":received": "RECEIVED",
            ":queued": "QUEUED",
            ":running": "RUNNING"
          }
        })
      )
    );
  }
};

// functions/shared/replay.ts
import { PutCommand as PutCommand2, QueryCommand as QueryCommand2, UpdateCommand as UpdateCommand2 } from "@aws-sdk/lib-dynamodb";
import { randomBytes } from "node:crypto";
import * as z2 from "zod/mini";
var REPLAY_EVENT_SOURCE = "landing-etl:replay";
var MAX_REPLAY_INGESTIONS = 1e3;
var MAX_REASON_LENGTH = 500;
var ID2 = /^[A-Za-z0-9_-]{1,80}$/;
var DATE = /^\d{4}-\d{2}-\d{2}$/;
var replayIdSchema = z2.string().check(z2.regex(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/, "a replay id is <UTC time YYYYMMDDTHHMMSSZ>-<8 hex digits>"));
var replayMarkSchema = z2.object({
  replayId: replayIdSchema,
  /** The ingestion this one re-runs. */
  replayOf: z2.string().check(z2.regex(ID2)),
  /** The replayed ingestion's business date: a key with no date in it took it from its first event's time. */
  businessDate: z2.string().check(z2.regex(DATE))
});
var newReplayId = (now, random = randomBytes(4).toString("hex")) => `${now.toISOString().slice(0, 19).replace(/[-:]/g, "")}Z-${random}`;
function replayRecord(o, mark, now) {
  return {
    eventVersion: "2.1",
    eventSource: REPLAY_EVENT_SOURCE,
    eventTime: now.toISOString(),
    eventName: "ObjectCreated:Replay",
    s3: {
      bucket: { name: o.bucket },
      object: {
        key: encodeURIComponent(o.key).replace(/%2F/g, "/").replace(/%20/g, "+"),
        size: o.size,
        ...o.eTag ? { eTag: o.eTag } : {},
        ...o.versionId ? { versionId: o.versionId } : {},
        ...o.sequencer ? { sequencer: o.sequencer } : {}
      }
    },
    replay: mark
  };
}
var replayKey = (dataset, replayId) => ({ pk: `DATASET#${dataset}`, sk: `REPLAY#${replayId}` });
var replaySchema = z2.object({
  replayId: replayIdSchema,
  dataset: z2.string(),
  from: z2.string().check(z2.regex(DATE)),
  to: z2.string().check(z2.regex(DATE)),
  /** `recorded`: the object versions the replayed runs ingested; `latest`: each key's latest version. */
  versions: z2.enum(["recorded", "latest"]),
  /** Who asked: the caller's ARN (STS GetCallerIdentity) on AWS, `local:<user>` on the local stack. */
  requestedBy: z2.string(),
  reason: z2.string().check(z2.minLength(1), z2.maxLength(MAX_REASON_LENGTH)),
  requestedAt: z2.string(),
  ingestions: z2.array(z2.object({ ingestionId: z2.string(), replayOf: z2.string() })),
  /** When every message was on the landing queue; absent while (or if) sending did not finish. */
  sentAt: z2.optional(z2.string())
});
var ReplayLog = class {
  constructor(doc, table) {
    this.doc = doc;
    this.table = table;
  }
  doc;
  table;
  /** Every ingestion of `dataset` whose business date is from `from` to `to`: one Query of the dataset's partition
   *  of the byDataset index, whose sort key is the arrival time, so the dates are a filter on every page. */
  async ingestionsOf(dataset, from, to) {
    const items = [];
    let start;
    do {
      const page = await this.doc.send(
        new QueryCommand2({
          TableName: this.table,
          IndexName: RUN_LOG_INDEXES.byDataset,
          KeyConditionExpression: "datasetKey = :d",
          FilterExpression: "businessDate BETWEEN :from AND :to",
          ExpressionAttributeValues: { ":d": dataset, ":from": from, ":to": to },
          ExclusiveStartKey: start
        })
      );
      items.push(...(page.Items ?? []).map((i) => summarySchema.parse(i)));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
  /** Writes the replay before any of its messages is sent, so every replayed ingestion's replayId names a recorded
   *  replay. */
  async record(replay) {
    try {
      await this.doc.send(
        new PutCommand2({
          TableName: this.table,
          Item: { ...replayKey(replay.dataset, replay.replayId), ...replaySchema.parse(replay) },
          ConditionExpression: "attribute_not_exists(pk)"
        })
      );
    } catch (e) {
      if (e.name === "ConditionalCheckFailedException") throw new ReplayConflictError(`replay ${replay.replayId} of ${replay.dataset} is already recorded`);
      throw e;
    }
  }
  async markSent(dataset, replayId, now) {
    await this.doc.send(
      new UpdateCommand2({ TableName: this.table, Key: replayKey(dataset, replayId), UpdateExpression: "SET sentAt = :now", ExpressionAttributeValues: { ":now": now } })
    );
  }
  /** A Query of its one key rather than a GetItem: what reads a dataset's partition (the API's role) may read it. */
  async get(dataset, replayId) {
    const key = replayKey(dataset, replayId);
    const { Items = [] } = await this.doc.send(
      new QueryCommand2({ TableName: this.table, KeyConditionExpression: "pk = :pk AND sk = :sk", ExpressionAttributeValues: { ":pk": key.pk, ":sk": key.sk }, ConsistentRead: true })
    );
    return Items[0] ? replaySchema.parse(Items[0]) : void 0;
  }
};

// local/client.ts
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { copyFile, mkdir, readFile, rename, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

// functions/shared/dataset-log.ts
import { QueryCommand as QueryCommand3, UpdateCommand as UpdateCommand3 } from "@aws-sdk/lib-dynamodb";
import * as z3 from "zod/mini";
var missingKey = (dataset, businessDate) => ({ pk: `DATASET#${dataset}`, sk: `MISSING#${businessDate}` });
var missingSchema = z3.object({
  dataset: z3.string(),
  businessDate: z3.string(),
  status: z3.enum(["MISSING", "LATE"]),
  dueAt: z3.string(),
  deadlineAt: z3.string(),
  /** The checker's time when it first found the file missing. */
  detectedAt: z3.string(),
  /** The time of the check that claimed (and sent) the alert; absent while no check has. */
  alertedAt: z3.optional(z3.string()),
  arrivedAt: z3.optional(z3.string()),
  ingestionId: z3.optional(z3.string()),
  lateByMinutes: z3.optional(z3.number())
});
var num = z3.catch(z3.optional(z3.number()), void 0);
var figuresItem = z3.object({
  sk: z3.string(),
  costUsd: num,
  metrics: z3.optional(z3.object({ rowsIn: num, rejected: num, rowsOut: num }))
});
var LOOK_BACK = 100;
var DatasetLog = class {
  constructor(doc, table) {
    this.doc = doc;
    this.table = table;
  }
  doc;
  table;
  /** The ingestions of a dataset received from `since` (an ISO time or date) up to `until` (an instant), oldest first:
   *  every page of one range of the byDataset index, whose sort key begins with the time received. The upper bound
   *  keeps a check of a past moment (a test's clock) from seeing files that came after it. */
  async received(dataset, since, until) {
    const items = [];
    let start;
    do {
      const page = await this.doc.send(
        new QueryCommand3({
          TableName: this.table,
          IndexName: RUN_LOG_INDEXES.byDataset,
          KeyConditionExpression: "datasetKey = :d AND recentKey BETWEEN :since AND :until",
          // recentKey is `<received at>#<id>`: '~' sorts after '#', so a run received at `until` itself is in.
          ExpressionAttributeValues: { ":d": dataset, ":since": since, ":until": `${until.toISOString()}~` },
          ExclusiveStartKey: start
        })
      );
      for (const raw of page.Items ?? []) {
        const cost = num.parse(raw.costUsd);
        items.push({ ...summarySchema.parse(raw), ...cost !== void 0 ? { costUsd: cost } : {} });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
  /** The latest successful ingestion received before `before`, among the LOOK_BACK runs before it (one page of the
   *  index, newest first): for a dataset with no success in the window the views show. */
  async lastSuccessBefore(dataset, before) {
    const { Items = [] } = await this.doc.send(
      new QueryCommand3({
        TableName: this.table,
        IndexName: RUN_LOG_INDEXES.byDataset,
        KeyConditionExpression: "datasetKey = :d AND recentKey < :before",
        FilterExpression: "#status = :succeeded",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":d": dataset, ":before": before, ":succeeded": "SUCCEEDED" },
        ScanIndexForward: false,
        Limit: LOOK_BACK
      })
    );
    return Items[0] ? summarySchema.parse(Items[0]) : void 0;
  }
  /** The figures of one run: rows the test stage read and rejected, rows the load wrote, and its cost (the summary's
   *  total when the run recorded one, else the sum of its stages'). */
  async figures(ingestionId) {
    const { Items = [] } = await this.doc.send(
      new QueryCommand3({
        TableName: this.table,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": summaryKey(ingestionId).pk }
      })
    );
    const items = Items.map((i) => figuresItem.parse(i));
    const stage = (name) => items.find((i) => i.sk === `STAGE#${name}`);
    const summaryCost = items.find((i) => i.sk === "SUMMARY")?.costUsd;
    const stageCost = items.filter((i) => i.sk.startsWith("STAGE#")).reduce((sum, i) => sum + (i.costUsd ?? 0), 0);
    return {
      rowsTested: stage("test")?.metrics?.rowsIn ?? 0,
      rowsRejected: stage("test")?.metrics?.rejected ?? 0,
      rowsLoaded: stage("load")?.metrics?.rowsOut ?? 0,
      costUsd: summaryCost ?? stageCost
    };
  }
  /** Records a business date's file as missing and claims its alert, in one conditional write (an upsert): true for
   *  exactly one of any number of checks, at once or later; false when the entry's alert was claimed already, or the
   *  file came late and closed it. The first detection's times are kept. */
  recordMissing(entry) {
    return writtenIf(
      this.doc.send(
        new UpdateCommand3({
          TableName: this.table,
          Key: missingKey(entry.dataset, entry.businessDate),
          UpdateExpression: "SET #status = :missing, dataset = :dataset, businessDate = :date, dueAt = :due, deadlineAt = :deadline, detectedAt = if_not_exists(detectedAt, :at), alertedAt = :at",
          ConditionExpression: "attribute_not_exists(alertedAt) AND (attribute_not_exists(#status) OR #status = :missing)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":missing": "MISSING",
            ":dataset": entry.dataset,
            ":date": entry.businessDate,
            ":due": entry.dueAt,
            ":deadline": entry.deadlineAt,
            ":at": entry.detectedAt
          }
        })
      )
    );
  }
  /** Gives back an alert this check claimed but could not send, so the next check claims and sends it. */
  async releaseAlert(entry) {
    await writtenIf(
      this.doc.send(
        new UpdateCommand3({
          TableName: this.table,
          Key: missingKey(entry.dataset, entry.businessDate),
          UpdateExpression: "REMOVE alertedAt",
          ConditionExpression: "alertedAt = :at",
          ExpressionAttributeValues: { ":at": entry.detectedAt }
        })
      )
    );
  }
  /** Closes an open MISSING entry when the file arrives: LATE, with the arrival and how late. False when there is no
   *  open entry (the file was not reported missing, or an earlier delivery closed it). */
  closeMissing(dataset, businessDate, arrival) {
    return writtenIf(
      this.doc.send(
        new UpdateCommand3({
          TableName: this.table,
          Key: missingKey(dataset, businessDate),
          UpdateExpression: "SET #status = :late, arrivedAt = :at, ingestionId = :id, lateByMinutes = :by",
          ConditionExpression: "#status = :missing",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":late": "LATE",
            ":missing": "MISSING",
            ":at": arrival.arrivedAt,
            ":id": arrival.ingestionId,
            ":by": arrival.lateByMinutes
          }
        })
      )
    );
  }
  /** The dataset's MISSING entries for business dates from `fromDate` on, oldest first. */
  async missingSince(dataset, fromDate) {
    const { pk, sk } = missingKey(dataset, fromDate);
    const { Items = [] } = await this.doc.send(
      new QueryCommand3({
        TableName: this.table,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
        ExpressionAttributeValues: { ":pk": pk, ":from": sk, ":to": "MISSING#9999" }
      })
    );
    return Items.map((i) => missingSchema.parse(i));
  }
  /** Claims the publication of an ended run's metrics, once per attempt: of two checkers only one publishes them. */
  claimMetrics(ingestionId, attempt) {
    return writtenIf(
      this.doc.send(
        new UpdateCommand3({
          TableName: this.table,
          Key: summaryKey(ingestionId),
          UpdateExpression: "SET metricsAttempt = :attempt",
          ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(metricsAttempt) OR metricsAttempt < :attempt)",
          ExpressionAttributeValues: { ":attempt": attempt }
        })
      )
    );
  }
};

// functions/shared/document-client.ts
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
function documentClient(client) {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

// local/landing-watcher.ts
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
async function folderObject(bucket, file) {
  const md5 = createHash("md5");
  for await (const chunk of createReadStream(file.path)) md5.update(chunk);
  const eTag = md5.digest("hex");
  const versionId = createHash("sha256").update(`${eTag}:${file.mtimeMs}`).digest("hex").slice(0, 32);
  const sequencer = Math.round(file.mtimeMs).toString(16).toUpperCase().padStart(16, "0");
  return { bucket, key: file.key, size: file.size, eTag, versionId, sequencer };
}

// local/client.ts
var runLogFor = (info) => new RunLog(documentClient(new DynamoDBClient({ endpoint: info.dynamodbEndpoint, ...localAws })), info.runLogTable);
var datasetLogFor = (info) => new DatasetLog(documentClient(new DynamoDBClient({ endpoint: info.dynamodbEndpoint, ...localAws })), info.runLogTable);
var replayLogFor = (info) => new ReplayLog(documentClient(new DynamoDBClient({ endpoint: info.dynamodbEndpoint, ...localAws })), info.runLogTable);
var TokenRequestError = class extends Error {
  name = "TokenRequestError";
};
async function clientCredentialsToken(tokenEndpoint, client) {
  const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString("base64");
  const res = await fetch(tokenEndpoint, {
    method: "POST",
    headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", scope: client.scope }),
    signal: AbortSignal.timeout(3e4)
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.access_token) {
    throw new TokenRequestError(`${tokenEndpoint} refused a token for scope ${client.scope} (HTTP ${res.status}): ${body.error ?? "no error code"}${body.error_description ? `: ${body.error_description}` : ""}`);
  }
  return body.access_token;
}
async function localApiToken(info, kind) {
  if (!info.auth) return void 0;
  const { tokenEndpoint, clients } = JSON.parse(await readFile(info.auth.clientsFile, "utf8"));
  return clientCredentialsToken(tokenEndpoint, clients[kind]);
}
var landingUri = (info, key) => `s3://${info.landingBucket}/${key}`;
async function dropIntoLanding(info, file, key) {
  const target = join(info.landingFolder, key);
  await mkdir(dirname(target), { recursive: true });
  const partial = join(dirname(target), `.${Date.now()}.part`);
  await copyFile(file, partial);
  await rename(partial, target);
}
async function landingFolderObject(info, key) {
  const path = join(info.landingFolder, key);
  const file = await stat(path).catch(() => void 0);
  return file?.isFile() ? folderObject(info.landingBucket, { path, key, size: file.size, mtimeMs: file.mtimeMs }) : void 0;
}
var TERMINAL = /* @__PURE__ */ new Set(["SUCCEEDED", "FAILED", "REJECTED"]);
async function followIngestion(runLog, opts) {
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 6e4);
  let id;
  while (!id) {
    if (Date.now() > deadline) return { status: "TIMEOUT", reason: `no ingestion of ${opts.sourceUri} was recorded` };
    id = (await runLog.forObject(opts.sourceUri, { since: opts.since, limit: 1 }))[0]?.ingestionId;
    if (!id) await sleep();
  }
  opts.print(`ingestion ${id}`);
  return followRun(runLog, id, { attempt: 1, print: opts.print, deadline });
}
async function followRun(runLog, id, opts) {
  const printed = /* @__PURE__ */ new Set();
  for (; ; ) {
    const record2 = await runLog.get(id);
    if (!record2) return { ingestionId: id, status: "TIMEOUT", reason: `ingestion ${id} is not in the run log` };
    const current = record2.summary.attempt === opts.attempt;
    for (const line of (current ? progressLines(record2) : []).filter((l) => !printed.has(l))) {
      opts.print(line);
      printed.add(line);
    }
    const { summary } = record2;
    if (current && TERMINAL.has(summary.status)) {
      return {
        ingestionId: id,
        status: summary.status,
        stage: summary.stage ?? summary.state,
        ...summary.cause ? { reason: summary.cause } : {}
      };
    }
    if (Date.now() > opts.deadline) return { ingestionId: id, status: "TIMEOUT", reason: `still ${summary.status} at ${summary.state}` };
    await sleep();
  }
}
var sleep = () => new Promise((r) => setTimeout(r, 250));
function progressLines({ summary, stages }) {
  const lines = [`  ${summary.status === "REJECTED" ? "rejected" : "received"}  ${summary.sourceUri}`];
  if (summary.queuedAt) lines.push(`  queued    waiting for an admission slot since ${summary.queuedAt}`);
  for (const s of stages) {
    lines.push(`  ${s.stage.padEnd(9)} ${s.status}${s.status === "FAILED" ? `: ${s.cause ?? s.error ?? ""}` : ""}`);
  }
  if (summary.status === "SUCCEEDED") lines.push(`  loaded into ${summary.ingestedTable}`);
  if (summary.status === "REJECTED") lines.push(`  reason: ${summary.cause}`);
  return lines;
}

// cli/target.ts
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient as DynamoDBClient2 } from "@aws-sdk/client-dynamodb";
import { ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SFNClient } from "@aws-sdk/client-sfn";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { userInfo } from "node:os";
var StageNotFoundError = class extends Error {
  name = "StageNotFoundError";
};
async function allStageOutputs(stage, region) {
  const stackName = `landing-etl-${stage}`;
  const cfn = new CloudFormationClient(region ? { region } : {});
  let outputs;
  try {
    const { Stacks = [] } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Object.fromEntries((Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? "", o.OutputValue ?? ""]));
  } catch (e) {
    if (e.name === "ValidationError") {
      throw new StageNotFoundError(`stage "${stage}" is not deployed${region ? ` in ${region}` : ""}: no CloudFormation stack ${stackName}`);
    }
    throw e;
  } finally {
    cfn.destroy();
  }
  return outputs;
}
async function stageOutputs(stage, region) {
  const stackName = `landing-etl-${stage}`;
  const outputs = await allStageOutputs(stage, region);
  const missing = ["RunLogTableName", "StateMachineArn"].filter((k) => !outputs[k]);
  if (missing.length > 0) throw new StageNotFoundError(`stack ${stackName} has no output ${missing.join(", ")}; is it a landing-etl deployment?`);
  return { runLogTable: outputs.RunLogTableName, stateMachineArn: outputs.StateMachineArn };
}
async function resolveTarget(opts) {
  if (opts.stage) {
    const { runLogTable, stateMachineArn } = await stageOutputs(opts.stage, opts.region);
    const region = opts.region ?? stateMachineArn.split(":")[3];
    const doc = documentClient(new DynamoDBClient2({ region }));
    return {
      label: `stage ${opts.stage}`,
      flags: `--stage ${opts.stage} --region ${region}`,
      runLog: new RunLog(doc, runLogTable),
      datasetLog: new DatasetLog(doc, runLogTable),
      replayLog: new ReplayLog(doc, runLogTable),
      sfn: new SFNClient({ region }),
      stateMachineArn
    };
  }
  const stack = runningStack();
  return {
    label: "the local stack",
    flags: "",
    runLog: runLogFor(stack),
    datasetLog: datasetLogFor(stack),
    replayLog: replayLogFor(stack),
    sfn: new SFNClient({ endpoint: stack.awsEndpoint, ...localAws }),
    stateMachineArn: stack.stateMachineArn
  };
}
async function resolveReplayPorts(opts) {
  if (opts.stage) {
    const outputs = await allStageOutputs(opts.stage, opts.region);
    const missing = ["RunLogTableName", "StateMachineArn", "LandingQueueUrl"].filter((k) => !outputs[k]);
    if (missing.length > 0) throw new StageNotFoundError(`stack landing-etl-${opts.stage} has no output ${missing.join(", ")}; deploy this version of landing-etl first`);
    const region = opts.region ?? outputs.StateMachineArn.split(":")[3];
    const s32 = new S3Client({ region });
    const sts = new STSClient({ region });
    return {
      replayLog: new ReplayLog(documentClient(new DynamoDBClient2({ region })), outputs.RunLogTableName),
      versions: (bucket, key) => s3Versions(s32, bucket, key),
      send: sender(new SQSClient({ region }), outputs.LandingQueueUrl),
      // Needs no permission: "No permissions are required to perform this operation" (AWS STS API Reference, GetCallerIdentity).
      caller: async () => (await sts.send(new GetCallerIdentityCommand({}))).Arn
    };
  }
  const stack = runningStack();
  if (!stack.landingQueueUrl) throw new StackNotRunningError("the running local stack names no landing queue in its stack file: restart it (npm start)");
  const s3 = new S3Client({ endpoint: stack.awsEndpoint, forcePathStyle: true, ...localAws });
  return {
    replayLog: replayLogFor(stack),
    // Folder mode: the landing folder is the bucket, and a file is its key's one version (landing-watcher.ts).
    versions: stack.s3Mode === "folder" ? async (_bucket, key) => {
      const o = await landingFolderObject(stack, key);
      return o ? [{ versionId: o.versionId, eTag: o.eTag, size: o.size, isLatest: true, deleteMarker: false }] : [];
    } : (bucket, key) => s3Versions(s3, bucket, key),
    send: sender(new SQSClient({ endpoint: stack.awsEndpoint, ...localAws }), stack.landingQueueUrl),
    caller: async () => `local:${userInfo().username}`
  };
}
async function s3Versions(s3, bucket, key) {
  const versions = [];
  let markers = {};
  for (; ; ) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, ...markers }));
    for (const v of page.Versions ?? []) {
      if (v.Key === key) versions.push({ versionId: v.VersionId === "null" ? void 0 : v.VersionId, eTag: v.ETag?.replace(/"/g, ""), size: v.Size ?? 0, isLatest: Boolean(v.IsLatest), deleteMarker: false });
    }
    for (const m of page.DeleteMarkers ?? []) if (m.Key === key) versions.push({ versionId: m.VersionId, size: 0, isLatest: Boolean(m.IsLatest), deleteMarker: true });
    if (!page.IsTruncated) return versions;
    markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
  }
}
function sender(sqs, queueUrl) {
  return async (bodies) => {
    for (let i = 0; i < bodies.length; i += 10) {
      const batch = bodies.slice(i, i + 10);
      const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((MessageBody, j) => ({ Id: String(i + j), MessageBody })) }));
      if (Failed.length > 0) {
        throw new ReplaySendError(`the landing queue refused ${Failed.length} of messages ${i + 1}\u2013${i + batch.length} (${Failed.map((f) => `${f.Id}: ${f.Code}`).join(", ")}); ${i} sent before them`);
      }
    }
  };
}

export {
  ContractError,
  InvalidCursorError,
  IngestionNotFoundError,
  RetryRefusedError,
  INGESTION_STATUSES,
  IN_FLIGHT_STATUSES,
  MAX_REPLAY_INGESTIONS,
  MAX_REASON_LENGTH,
  replayMarkSchema,
  newReplayId,
  replayRecord,
  runLogFor,
  clientCredentialsToken,
  localApiToken,
  landingUri,
  dropIntoLanding,
  followIngestion,
  followRun,
  allStageOutputs,
  resolveTarget,
  resolveReplayPorts
};
