#!/usr/bin/env node
// Built by `npm run build:cli` (scripts/build-cli.mjs) from cli/: edit the sources, then rebuild.
import {
  UsageError,
  localAws,
  runningStack
} from "./landing-etl-chunk-C5CGFQ5E.js";

// cli/commands.ts
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { existsSync, statSync } from "node:fs";
import { basename, resolve as resolve2 } from "node:path";

// functions/shared/contracts.ts
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as z from "zod/mini";

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

// functions/shared/contracts.ts
var DATASET_NAME_MAX = 40;
function isTimeZone(name) {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
var scheduleSchema = z.strictObject({
  every: z._default(z.enum(["day", "weekday"], { error: 'must be "day" or "weekday"' }), "day"),
  due: z.string({ error: 'must be a time "HH:MM"' }).check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour local time "HH:MM", e.g. "06:00"')),
  timeZone: z.string({ error: "must be an IANA time zone name" }).check(z.refine(isTimeZone, 'must be an IANA time zone name such as "Europe/London" or "UTC"')),
  graceMinutes: z._default(
    z.int({ error: "must be a whole number of minutes" }).check(z.minimum(0, "must be 0\u20131440 minutes"), z.maximum(1440, "must be 0\u20131440 minutes")),
    0
  ),
  businessDate: z._default(z.enum(["previous day", "same day"], { error: 'must be "previous day" or "same day"' }), "previous day")
}, {
  error: (issue) => issue.code === "unrecognized_keys" ? `has unknown key(s) ${issue.keys.join(", ")}; known: every, due, timeZone, graceMinutes, businessDate` : 'must be an object such as { "due": "06:00", "timeZone": "Europe/London" }'
});
var contractSchema = z.object({
  name: z.string().check(
    z.regex(/^[a-z][a-z0-9_]*$/, "must be lowercase letters, digits and _"),
    z.maxLength(DATASET_NAME_MAX, `must be at most ${DATASET_NAME_MAX} characters`)
  ),
  description: z.optional(z.string()),
  target: z.object({ table: z.string().check(z.minLength(1)) }),
  quality: z.object({ mode: z.enum(["hard", "soft"]) }),
  schedule: z.optional(scheduleSchema)
});
function loadContracts(dir = process.env.DATASETS_DIR ?? resolve("datasets")) {
  const contracts = /* @__PURE__ */ new Map();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json")).sort()) {
    const path = join(dir, file);
    let raw;
    try {
      raw = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw new ContractError(`${path}: not valid JSON (${e.message})`);
    }
    const parsed = contractSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ContractError(`${path}: field ${issue.path.join(".") || "(root)"} ${issue.message}`);
    }
    if (`${parsed.data.name}.json` !== file) {
      throw new ContractError(`${path}: field name is "${parsed.data.name}" but the file is named ${file}`);
    }
    contracts.set(parsed.data.name, parsed.data);
  }
  return contracts;
}

// functions/shared/freshness.ts
var MINUTE = 6e4;
var DAY = 864e5;
function addDays(date, n) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
}
var formatters = /* @__PURE__ */ new Map();
function formatter(timeZone) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit"
    });
    formatters.set(timeZone, f);
  }
  return f;
}
function wallClock(instant, timeZone) {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(instant)).map((p) => [p.type, Number(p.value)]));
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}
var offsetAt = (instant, timeZone) => wallClock(instant, timeZone) - (instant - instant % 1e3);
function localDate(instant, timeZone) {
  return new Date(wallClock(instant.getTime(), timeZone)).toISOString().slice(0, 10);
}
function zonedInstant(date, time2, timeZone) {
  const wall = Date.parse(`${date}T${time2}:00Z`);
  const before = offsetAt(wall - DAY, timeZone);
  const after = offsetAt(wall + DAY, timeZone);
  const fits = [.../* @__PURE__ */ new Set([before, after])].map((o) => wall - o).filter((t) => offsetAt(t, timeZone) === wall - t);
  return new Date(fits.length ? Math.min(...fits) : wall - before);
}
var isWeekday = (date) => {
  const day = (/* @__PURE__ */ new Date(`${date}T00:00:00Z`)).getUTCDay();
  return day >= 1 && day <= 5;
};
var expects = (schedule, businessDate) => schedule.every === "day" || isWeekday(businessDate);
function dueAt(schedule, businessDate) {
  const dueDay = schedule.businessDate === "previous day" ? addDays(businessDate, 1) : businessDate;
  return zonedInstant(dueDay, schedule.due, schedule.timeZone);
}
var deadline = (schedule, businessDate) => new Date(dueAt(schedule, businessDate).getTime() + schedule.graceMinutes * MINUTE);
function latestDueBusinessDate(schedule, now) {
  const today = localDate(now, schedule.timeZone);
  let date = schedule.businessDate === "previous day" ? addDays(today, -1) : today;
  while (!expects(schedule, date) || dueAt(schedule, date) > now) date = addDays(date, -1);
  return date;
}
var minutesLate = (schedule, businessDate, arrivedAt) => Math.floor((arrivedAt.getTime() - dueAt(schedule, businessDate).getTime()) / MINUTE);
function freshness(schedule, now, arrivals) {
  if (!schedule) return { status: "unscheduled", businessDate: null, dueAt: null };
  const businessDate = latestDueBusinessDate(schedule, now);
  const due = dueAt(schedule, businessDate);
  const limit = deadline(schedule, businessDate);
  const first = arrivals.filter((a) => a.businessDate === businessDate).map((a) => new Date(a.receivedAt)).sort((a, b) => a.getTime() - b.getTime())[0];
  const about = { businessDate, dueAt: due.toISOString() };
  if (!first) return { status: now > limit ? "missing" : "awaiting", ...about };
  if (first > limit) return { status: "late", ...about, lateByMinutes: minutesLate(schedule, businessDate, first) };
  return { status: "fresh", ...about };
}

// functions/shared/datasets-view.ts
var DAYS = 30;
var FIGURE_READS = 8;
var windowStart = (now) => addDays(now.toISOString().slice(0, 10), -(DAYS - 1));
var latest = (runs2, key) => runs2.filter(key).sort((a, b) => key(b).localeCompare(key(a)))[0];
async function datasetState(contract, log, now) {
  const since = windowStart(now);
  const runs2 = await log.received(contract.name, since, now);
  const lastSuccess = latest(
    runs2.filter((r) => r.status === "SUCCEEDED"),
    (r) => r.endedAt
  ) ?? await log.lastSuccessBefore(contract.name, since);
  return {
    runs: runs2,
    // A rejected object is not the dataset's file; one that failed later still arrived.
    freshness: freshness(contract.schedule, now, runs2.filter((r) => r.status !== "REJECTED")),
    lastSuccess,
    minutesSinceSuccess: lastSuccess ? Math.max(0, Math.floor((now.getTime() - Date.parse(lastSuccess.endedAt)) / 6e4)) : null
  };
}
async function figuresOf(runs2, log) {
  const ended = runs2.filter((r) => r.status === "SUCCEEDED" || r.status === "FAILED");
  const figures = /* @__PURE__ */ new Map();
  const unsummarised = [];
  for (const r of ended) {
    if (r.rowsIn === void 0) unsummarised.push(r);
    else figures.set(r.ingestionId, { rowsTested: r.rejected === void 0 ? 0 : r.rowsIn, rowsRejected: r.rejected ?? 0, rowsLoaded: r.rowsLoaded ?? 0, costUsd: r.costUsd ?? 0 });
  }
  for (let i = 0; i < unsummarised.length; i += FIGURE_READS) {
    const batch = unsummarised.slice(i, i + FIGURE_READS);
    const read = await Promise.all(batch.map((r) => log.figures(r.ingestionId)));
    batch.forEach((r, j) => figures.set(r.ingestionId, read[j]));
  }
  return figures;
}
function dailyFigures(runs2, figures, now) {
  const first = windowStart(now);
  const days = Array.from({ length: DAYS }, (_, i) => ({ date: addDays(first, i), runs: 0, rowsLoaded: 0, rowsRejected: 0, rowsTested: 0, costUsd: 0 }));
  const byDate = new Map(days.map((d) => [d.date, d]));
  for (const run of runs2) {
    const day = byDate.get(run.receivedAt.slice(0, 10));
    if (!day) continue;
    const f = figures.get(run.ingestionId);
    day.runs += 1;
    day.rowsLoaded += run.status === "SUCCEEDED" ? f?.rowsLoaded ?? 0 : 0;
    day.rowsRejected += f?.rowsRejected ?? 0;
    day.rowsTested += f?.rowsTested ?? 0;
    day.costUsd += run.costUsd ?? f?.costUsd ?? 0;
  }
  return days.map(({ rowsTested, ...d }) => ({
    ...d,
    rejectRate: rowsTested > 0 ? d.rowsRejected / rowsTested : 0,
    costUsd: Math.round(d.costUsd * 1e6) / 1e6
  }));
}
async function datasetView(contract, log, now) {
  const state = await datasetState(contract, log, now);
  const lastRun = latest(state.runs, (r) => r.receivedAt);
  const { lastSuccess } = state;
  return {
    name: contract.name,
    description: contract.description ?? null,
    schedule: contract.schedule ?? null,
    freshness: { ...state.freshness, minutesSinceSuccess: state.minutesSinceSuccess },
    lastSuccess: lastSuccess ? { ingestionId: lastSuccess.ingestionId, businessDate: lastSuccess.businessDate, endedAt: lastSuccess.endedAt } : null,
    lastRun: lastRun ? { ingestionId: lastRun.ingestionId, status: lastRun.status, stage: lastRun.stage ?? null, error: lastRun.error ?? null, endedAt: lastRun.endedAt ?? null } : null,
    days: dailyFigures(state.runs, await figuresOf(state.runs, log), now)
  };
}
async function datasetsView(contracts, log, now) {
  const names = [...contracts.keys()].sort();
  return {
    generatedAt: now.toISOString(),
    datasets: await Promise.all(names.map((n) => datasetView(contracts.get(n), log, now)))
  };
}

// functions/shared/ingestion-view.ts
function durationSeconds(startedAt, endedAt) {
  if (!startedAt || !endedAt) return null;
  return Math.round(Date.parse(endedAt) - Date.parse(startedAt)) / 1e3;
}
var stageView = (s) => ({ ...s, durationSeconds: durationSeconds(s.startedAt, s.endedAt) });
function summaryView({ executionInput: _, ...summary }) {
  return { ...summary, durationSeconds: durationSeconds(summary.startedAt, summary.endedAt) };
}
function ingestionView(record2) {
  return {
    summary: summaryView(record2.summary),
    stages: record2.stages.map(stageView),
    attempts: record2.attempts.map((a) => ({ ...a, durationSeconds: durationSeconds(a.startedAt, a.endedAt), stages: a.stages.map(stageView) }))
  };
}

// functions/shared/execution.ts
import * as z2 from "zod/mini";
var nonEmpty = () => z2.string().check(z2.minLength(1));
var executionInputSchema = z2.object({
  ingestionId: nonEmpty(),
  dataset: nonEmpty(),
  businessDate: z2.string().check(z2.regex(/^\d{4}-\d{2}-\d{2}$/)),
  attempt: z2.int().check(z2.positive()),
  source: z2.object({
    bucket: nonEmpty(),
    key: nonEmpty(),
    versionId: z2.nullable(z2.string()),
    /** S3's sequencer of the event that landed this version (upper-case hex): the load orders two versions of one
     *  key uploaded within the same second by it. Null for inputs recorded before it was carried (a retry of one). */
    sequencer: z2._default(z2.nullable(z2.string()), null),
    uri: nonEmpty(),
    size: z2.int().check(z2.nonnegative())
  }),
  stagingUri: nonEmpty(),
  qualityMode: z2.enum(["hard", "soft"])
});
var executionName = (ingestionId, attempt) => attempt === 1 ? ingestionId : `${ingestionId}-a${attempt}`;
var executionArn = (stateMachineArn, name) => `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;

// functions/shared/retry.ts
async function retryIngestion(id, ports) {
  const record2 = await ports.runLog.get(id);
  if (!record2) throw new IngestionNotFoundError(`no ingestion ${id} in the run log`);
  const { summary } = record2;
  if (summary.status !== "FAILED") {
    throw new RetryRefusedError(`ingestion ${id} is ${summary.status} (attempt ${summary.attempt}); only a FAILED ingestion can be retried`);
  }
  if (!summary.executionInput) throw new RetryRefusedError(`ingestion ${id} has no recorded execution input to run again`);
  const attempt = summary.attempt + 1;
  const input = { ...executionInputSchema.parse(JSON.parse(summary.executionInput)), attempt };
  const name = executionName(id, attempt);
  const arn = executionArn(ports.stateMachineArn, name);
  await ports.runLog.claimRetry(record2, arn, ports.now().toISOString());
  try {
    return { attempt, executionArn: await ports.start(name, input) };
  } catch (e) {
    await ports.runLog.releaseRetry(record2, ports.now().toISOString());
    throw e;
  }
}

// functions/shared/run-log.ts
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand
} from "@aws-sdk/lib-dynamodb";
import * as z3 from "zod/mini";

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
var INGESTION_STATUSES = ["RECEIVED", "RUNNING", "SUCCEEDED", "FAILED", "REJECTED"];
var RUN_LOG_INDEXES = { byDataset: "byDataset", byObject: "byObject" };
var text = () => z3.optional(z3.string());
var stageSchema = z3.object({
  stage: z3.enum(STAGES),
  status: z3.enum(["RUNNING", "SUCCEEDED", "FAILED"]),
  attempt: z3._default(z3.int().check(z3.positive()), 1),
  startedAt: text(),
  endedAt: text(),
  glueRunId: text(),
  /** The job the run belongs to, recorded with its id as the run starts, so whoever ends the execution can stop it. */
  glueJobName: text(),
  /** Glue's ExecutionTime of the stage's job run. */
  jobSeconds: z3.optional(z3.number()),
  /** The job run's DPU-seconds and its cost at list price (functions/shared/job-cost.ts). */
  dpuSeconds: z3.optional(z3.number()),
  costUsd: z3.optional(z3.number()),
  /** Links to the job run's logs: CloudWatch on AWS, the run's log file locally. */
  logs: z3.optional(z3.object({ output: z3.string(), error: z3.string() })),
  metrics: z3.optional(z3.record(z3.string(), z3.unknown())),
  error: text(),
  cause: text()
});
var summarySchema = z3.object({
  ingestionId: z3.string(),
  /** The same id under the attribute name dashboards of this kind of pipeline read. */
  ingestedID: z3.string(),
  dataset: z3.string(),
  businessDate: z3.string(),
  sourceUri: z3.string(),
  sourceVersion: text(),
  status: z3.enum(INGESTION_STATUSES),
  /** Where the ingestion is or stopped: RECEIVED, TRANSFORM, TEST, LOAD, DONE or REJECTED. */
  state: z3.string(),
  /** The stage running or halted at (lower case, as in STAGE#<stage>). */
  stage: z3.optional(z3.enum(STAGES)),
  ingestedTable: text(),
  attempt: z3.int().check(z3.positive()),
  receivedAt: z3.string(),
  updatedAt: z3.string(),
  startedAt: text(),
  endedAt: text(),
  executionArn: text(),
  /** The state machine input, kept so a retry runs exactly the same ingestion again. */
  executionInput: text(),
  /** Deliveries of the same S3 event after the first (S3 delivers at least once). */
  duplicates: z3.optional(z3.int().check(z3.nonnegative())),
  /** Row counts of the current attempt, copied from its stages by the Glue jobs (landing_etl/runlog.py) so a list
   *  of runs reads no stage items: source rows in, accepted / rejected / duplicate rows at test (`duplicates` counts S3 deliveries), rows loaded. */
  rowsIn: z3.optional(z3.number()),
  accepted: z3.optional(z3.number()),
  rejected: z3.optional(z3.number()),
  duplicateRows: z3.optional(z3.number()),
  rowsLoaded: z3.optional(z3.number()),
  /** Totals of every Glue job run of the ingestion, all attempts included. */
  dpuSeconds: z3.optional(z3.number()),
  costUsd: z3.optional(z3.number()),
  error: text(),
  cause: text()
});
var attemptSchema = z3.extend(
  z3.pick(summarySchema, { attempt: true, status: true, state: true, stage: true, startedAt: true, endedAt: true, executionArn: true, error: true, cause: true }),
  { stages: z3.array(stageSchema) }
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
  attemptStillInFlight: "attempt = :attempt AND #status IN (:received, :running)"
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
var indexKeySchema = z3.object({ pk: z3.string(), sk: z3.string(), recentKey: z3.string() });
var ID = "[A-Za-z0-9_-]{1,80}";
var cursorFields = z3.tuple([
  z3.string().check(z3.regex(new RegExp(`^ING#${ID}$`))),
  z3.literal("SUMMARY"),
  z3.string().check(z3.minLength(1), z3.maxLength(1024)),
  z3.string().check(z3.regex(new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z#${ID}$`)))
]);
function cursorOf(scope, item) {
  const key = indexKeySchema.parse(item);
  return encodeCursor(CURSOR_VERSION, [key.pk, key.sk, z3.string().parse(item[scope.keyName]), key.recentKey]);
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
  constructor(doc, table2) {
    this.doc = doc;
    this.table = table2;
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
  /** Records the execution that runs the ingestion. False when one was recorded already: a concurrent duplicate
   *  delivery whose StartExecution Step Functions answered idempotently. */
  async recordExecution(id, executionArn2) {
    return writtenIf(
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(id),
          UpdateExpression: "SET executionArn = :arn",
          ConditionExpression: CONDITION.executionNotYetRecorded,
          ExpressionAttributeValues: { ":arn": executionArn2 }
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
  async claimRetry(record2, executionArn2, now) {
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
            ":arn": executionArn2,
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
    if (!record2 || record2.summary.attempt !== attempt || !["RECEIVED", "RUNNING"].includes(record2.summary.status)) return;
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
            ":running": "RUNNING"
          }
        })
      )
    );
  }
};

// local/client.ts
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { copyFile, mkdir, rename } from "node:fs/promises";
import { dirname, join as join2 } from "node:path";

// functions/shared/dataset-log.ts
import { QueryCommand as QueryCommand2, UpdateCommand as UpdateCommand2 } from "@aws-sdk/lib-dynamodb";
import * as z4 from "zod/mini";
var missingKey = (dataset, businessDate) => ({ pk: `DATASET#${dataset}`, sk: `MISSING#${businessDate}` });
var missingSchema = z4.object({
  dataset: z4.string(),
  businessDate: z4.string(),
  status: z4.enum(["MISSING", "LATE"]),
  dueAt: z4.string(),
  deadlineAt: z4.string(),
  /** The checker's time when it first found the file missing. */
  detectedAt: z4.string(),
  /** The time of the check that claimed (and sent) the alert; absent while no check has. */
  alertedAt: z4.optional(z4.string()),
  arrivedAt: z4.optional(z4.string()),
  ingestionId: z4.optional(z4.string()),
  lateByMinutes: z4.optional(z4.number())
});
var num = z4.catch(z4.optional(z4.number()), void 0);
var figuresItem = z4.object({
  sk: z4.string(),
  costUsd: num,
  metrics: z4.optional(z4.object({ rowsIn: num, rejected: num, rowsOut: num }))
});
var LOOK_BACK = 100;
var DatasetLog = class {
  constructor(doc, table2) {
    this.doc = doc;
    this.table = table2;
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
        new QueryCommand2({
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
      new QueryCommand2({
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
      new QueryCommand2({
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
        new UpdateCommand2({
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
        new UpdateCommand2({
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
        new UpdateCommand2({
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
      new QueryCommand2({
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
        new UpdateCommand2({
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

// local/client.ts
var runLogFor = (info) => new RunLog(documentClient(new DynamoDBClient({ endpoint: info.dynamodbEndpoint, ...localAws })), info.runLogTable);
var datasetLogFor = (info) => new DatasetLog(documentClient(new DynamoDBClient({ endpoint: info.dynamodbEndpoint, ...localAws })), info.runLogTable);
var landingUri = (info, key) => `s3://${info.landingBucket}/${key}`;
async function dropIntoLanding(info, file, key) {
  const target2 = join2(info.landingFolder, key);
  await mkdir(dirname(target2), { recursive: true });
  const partial = join2(dirname(target2), `.${Date.now()}.part`);
  await copyFile(file, partial);
  await rename(partial, target2);
}
var TERMINAL = /* @__PURE__ */ new Set(["SUCCEEDED", "FAILED", "REJECTED"]);
async function followIngestion(runLog, opts) {
  const deadline2 = Date.now() + (opts.timeoutMs ?? 15 * 6e4);
  let id;
  while (!id) {
    if (Date.now() > deadline2) return { status: "TIMEOUT", reason: `no ingestion of ${opts.sourceUri} was recorded` };
    id = (await runLog.forObject(opts.sourceUri, { since: opts.since, limit: 1 }))[0]?.ingestionId;
    if (!id) await sleep();
  }
  opts.print(`ingestion ${id}`);
  return followRun(runLog, id, { attempt: 1, print: opts.print, deadline: deadline2 });
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
  for (const s of stages) {
    lines.push(`  ${s.stage.padEnd(9)} ${s.status}${s.status === "FAILED" ? `: ${s.cause ?? s.error ?? ""}` : ""}`);
  }
  if (summary.status === "SUCCEEDED") lines.push(`  loaded into ${summary.ingestedTable}`);
  if (summary.status === "REJECTED") lines.push(`  reason: ${summary.cause}`);
  return lines;
}

// functions/shared/commands.ts
var retryCommand = (ingestionId, target2) => `npx landing-etl retry ${ingestionId}${target2 ? ` ${target2}` : ""}`;

// cli/format.ts
function table(headers, rows) {
  const cells = [headers, ...rows.map((r) => r.map((c) => c || "-"))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join("  ")).join("\n");
}
var seconds = (s) => s === null ? "" : `${s.toFixed(1)}s`;
var usd = (n) => n === void 0 ? "" : `$${n.toFixed(4)}`;
var time = (iso) => iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "";
var metric = (s, ...keys) => {
  for (const k of keys) if (typeof s.metrics?.[k] === "number") return String(s.metrics[k]);
  return "";
};
function stagesTable(stages) {
  return table(
    ["STAGE", "STATUS", "STARTED", "DURATION", "ROWS IN", "ROWS OUT", "REJECTED", "DPU-S", "COST", "ERROR"],
    stages.map((s) => [
      s.stage,
      s.status,
      time(s.startedAt),
      seconds(s.durationSeconds),
      metric(s, "rowsIn"),
      metric(s, "rowsOut", "accepted"),
      metric(s, "rejected"),
      s.dpuSeconds === void 0 ? "" : String(s.dpuSeconds),
      usd(s.costUsd),
      s.status === "FAILED" ? `${s.error ?? ""}: ${s.cause ?? ""}` : ""
    ])
  );
}
function formatIngestion({ summary: s, stages, attempts }, target2) {
  const lines = [
    `ingestion  ${s.ingestionId}`,
    `dataset    ${s.dataset} (business date ${s.businessDate})${s.ingestedTable ? ` \u2192 ${s.ingestedTable}` : ""}`,
    `source     ${s.sourceUri}${s.sourceVersion ? ` (version ${s.sourceVersion})` : ""}`,
    `status     ${s.status} at ${s.state}, attempt ${s.attempt}${s.durationSeconds === null ? "" : ` (${seconds(s.durationSeconds)})`}`,
    `received   ${time(s.receivedAt)}${s.duplicates ? ` (+${s.duplicates} duplicate deliveries ignored)` : ""}`
  ];
  if (s.status === "FAILED" || s.status === "REJECTED") lines.push(`reason     ${s.stage ? `${s.stage}: ` : ""}${s.error}: ${s.cause}`);
  if (s.status === "FAILED") lines.push(`retry      ${retryCommand(s.ingestionId, target2)}`);
  if (s.costUsd !== void 0) lines.push(`cost       ${usd(s.costUsd)} at list price (${s.dpuSeconds ?? 0} DPU-seconds, every attempt)`);
  const logged = stages.filter((st) => st.logs);
  if (logged.length > 0) lines.push("logs", ...logged.map((st) => `  ${st.stage.padEnd(9)}  ${st.glueRunId ?? ""}  ${st.logs.output}${st.logs.error !== st.logs.output ? `  ${st.logs.error}` : ""}`));
  if (stages.length > 0) lines.push("", stagesTable(stages));
  for (const a of [...attempts].reverse()) {
    lines.push("", `attempt ${a.attempt}: ${a.status} at ${a.state}${a.cause ? ` \u2014 ${a.error}: ${a.cause}` : ""}`);
    if (a.stages.length > 0) lines.push(stagesTable(a.stages).replace(/^/gm, "  "));
  }
  return lines.join("\n");
}
function formatRuns(items) {
  if (items.length === 0) return "no ingestions";
  return table(
    ["RECEIVED", "STATUS", "STATE", "ATTEMPT", "DURATION", "INGESTION", "SOURCE"],
    items.map((s) => [time(s.receivedAt), s.status, s.state, String(s.attempt), seconds(s.durationSeconds), s.ingestionId, s.sourceUri])
  );
}
var age = (minutes) => minutes === null ? "" : minutes < 120 ? `${minutes} min ago` : minutes < 2880 ? `${Math.floor(minutes / 60)} h ago` : `${Math.floor(minutes / 1440)} days ago`;
function freshnessText({ freshness: f, schedule }) {
  if (f.status === "late") return `${f.lateByMinutes} min late`;
  if (f.status === "missing") return `not by ${schedule.due} + ${schedule.graceMinutes} min`;
  if (f.status === "awaiting") return `grace until ${schedule.due} + ${schedule.graceMinutes} min`;
  return "";
}
function formatDatasets({ datasets: datasets2 }) {
  if (datasets2.length === 0) return "no datasets";
  const summary = table(
    ["DATASET", "FRESHNESS", "BUSINESS DATE", "DUE", "NOTE", "LAST SUCCESS", "LAST RUN"],
    datasets2.map((d) => [
      d.name,
      d.freshness.status,
      d.freshness.businessDate ?? "",
      time(d.freshness.dueAt ?? void 0),
      freshnessText(d),
      d.lastSuccess ? `${d.lastSuccess.businessDate} (${age(d.freshness.minutesSinceSuccess)})` : "",
      d.lastRun ? `${d.lastRun.status}${d.lastRun.stage && d.lastRun.status === "FAILED" ? ` at ${d.lastRun.stage}` : ""}` : ""
    ])
  );
  const days = datasets2.map(
    (d) => `${d.name}, last 7 days (UTC, by arrival):
` + table(
      ["DAY", "RUNS", "ROWS LOADED", "REJECTED", "REJECT RATE", "COST USD"],
      d.days.slice(-7).map((x) => [x.date, String(x.runs), String(x.rowsLoaded), String(x.rowsRejected), `${(x.rejectRate * 100).toFixed(1)}%`, x.costUsd.toFixed(4)])
    ).replace(/^/gm, "  ")
  );
  return [summary, ...days].join("\n\n");
}

// cli/target.ts
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient as DynamoDBClient2 } from "@aws-sdk/client-dynamodb";
import { SFNClient } from "@aws-sdk/client-sfn";
var StageNotFoundError = class extends Error {
  name = "StageNotFoundError";
};
async function stageOutputs(stage, region) {
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
    sfn: new SFNClient({ endpoint: stack.awsEndpoint, ...localAws }),
    stateMachineArn: stack.stateMachineArn
  };
}

// cli/commands.ts
function parseLimit(raw) {
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new UsageError(`--limit must be a whole number 1\u2013100, got "${raw}"`);
  return limit;
}
function parseStatus(raw) {
  if (raw === void 0) return void 0;
  const status2 = raw.toUpperCase();
  if (!INGESTION_STATUSES.includes(status2)) throw new UsageError(`--status must be one of ${INGESTION_STATUSES.join(", ")}, got "${raw}"`);
  return status2;
}
async function ingest(file, dataset, date) {
  if (!file) throw new UsageError("ingest needs a FILE");
  if (!dataset) throw new UsageError("ingest needs --dataset NAME");
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file: ${file}`);
  if (date && !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UsageError(`--date must be YYYY-MM-DD, got "${date}"`);
  const stack = runningStack();
  const key = [dataset, date, basename(file)].filter(Boolean).join("/");
  const since = (/* @__PURE__ */ new Date()).toISOString();
  await dropIntoLanding(stack, resolve2(file), key);
  console.log(`landed ${file} as ${landingUri(stack, key)}`);
  const result = await followIngestion(runLogFor(stack), { sourceUri: landingUri(stack, key), since, print: console.log });
  if (result.status === "SUCCEEDED") {
    console.log(`done: ${result.ingestionId} loaded`);
    return 0;
  }
  console.error(`${result.status}${result.stage ? ` at ${result.stage}` : ""}: ${result.reason ?? "no reason recorded"}`);
  return 1;
}
async function status(target2, id, json) {
  const record2 = await target2.runLog.get(id);
  if (!record2) throw new IngestionNotFoundError(`no ingestion ${id} in ${target2.label}`);
  console.log(json ? JSON.stringify(ingestionView(record2), null, 2) : formatIngestion(ingestionView(record2), target2.flags));
  return 0;
}
async function runs(target2, o) {
  if (o.dataset && o.object) throw new UsageError("give --dataset or --object, not both");
  if (o.cursor && !o.dataset && !o.object) throw new UsageError("--cursor pages through one --dataset or --object");
  let items;
  let nextCursor = null;
  if (o.dataset || o.object) {
    const opts = { limit: o.limit, status: o.status, cursor: o.cursor };
    try {
      ({ items, nextCursor } = o.object ? await target2.runLog.recentOfObject(o.object, opts) : await target2.runLog.recent(o.dataset, opts));
    } catch (e) {
      if (e instanceof InvalidCursorError) throw new UsageError(`--cursor: ${e.message}`);
      throw e;
    }
  } else {
    const pages = await Promise.all(
      [...loadContracts().keys()].map((d) => target2.runLog.recent(d, { limit: o.limit, status: o.status }))
    );
    items = pages.flatMap((p) => p.items).sort((a, b) => b.receivedAt.localeCompare(a.receivedAt)).slice(0, o.limit);
  }
  const views = items.map(summaryView);
  if (o.json) console.log(JSON.stringify({ items: views, nextCursor }, null, 2));
  else {
    console.log(formatRuns(views));
    if (nextCursor) console.log(`more: --cursor ${nextCursor}`);
  }
  return 0;
}
async function datasets(target2, json) {
  const view = await datasetsView(loadContracts(), target2.datasetLog, /* @__PURE__ */ new Date());
  console.log(json ? JSON.stringify(view, null, 2) : formatDatasets(view));
  return 0;
}
async function retry(target2, id, json, detach) {
  const { attempt, executionArn: executionArn2 } = await retryIngestion(id, {
    runLog: target2.runLog,
    stateMachineArn: target2.stateMachineArn,
    now: () => /* @__PURE__ */ new Date(),
    async start(name, input) {
      const started = await target2.sfn.send(
        new StartExecutionCommand({ stateMachineArn: target2.stateMachineArn, name, input: JSON.stringify(input) })
      );
      return started.executionArn;
    }
  });
  const print = json ? () => {
  } : console.log;
  print(`ingestion ${id}: attempt ${attempt} started (${executionArn2})`);
  if (detach) {
    if (json) console.log(JSON.stringify({ ingestionId: id, attempt, executionArn: executionArn2 }));
    return 0;
  }
  const result = await followRun(target2.runLog, id, { attempt, print, deadline: Date.now() + 60 * 6e4 });
  if (json) console.log(JSON.stringify({ ingestionId: id, attempt, executionArn: executionArn2, ...result }));
  if (result.status === "SUCCEEDED") {
    print(`done: attempt ${attempt} of ${id} succeeded`);
    return 0;
  }
  console.error(`${result.status}${result.stage ? ` at ${result.stage}` : ""}: ${result.reason ?? "no reason recorded"}`);
  return 1;
}
var target = (o) => resolveTarget({ stage: o.stage, region: o.region });
async function doctor(stage, region) {
  if (!stage) throw new UsageError("doctor needs --stage NAME (it checks an AWS account, not the local stack)");
  const { accountFindings, formatFindings, networkFindings } = await import("./landing-etl-doctor-OCCEGID2.js");
  const { describeAccount, describeNetwork, planFromStack, planFromTemplate } = await import("./landing-etl-doctor-aws-QXH7Z4QN.js");
  const packaged = planFromTemplate(`.build/package/${stage}/cloudformation-template-update-stack.json`);
  const deployed = await planFromStack(stage, region, packaged);
  const plan = deployed ?? packaged;
  const where = region ?? process.env.AWS_REGION ?? "us-east-1";
  console.log(`doctor: stage ${stage} in ${where}, ${deployed ? "its deployed stack" : "its packaged template (not deployed)"}`);
  const network = await describeNetwork(plan, where);
  if (!network) console.log("doctor: the stack creates its network on its first deploy; run doctor again after it");
  const findings = [...network ? networkFindings(network) : [], ...accountFindings(await describeAccount(plan, where))];
  console.log(formatFindings(findings));
  return findings.some((f) => f.severity === "error") ? 1 : 0;
}
export {
  datasets,
  doctor,
  ingest,
  parseLimit,
  parseStatus,
  retry,
  runs,
  status,
  target
};
