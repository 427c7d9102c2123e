#!/usr/bin/env node
// Built by `npm run build:cli` (scripts/build-cli.mjs) from cli/: edit the sources, then rebuild.
import {
  ContractError,
  INGESTION_STATUSES,
  IN_FLIGHT_STATUSES,
  IngestionNotFoundError,
  InvalidCursorError,
  MAX_REASON_LENGTH,
  MAX_REPLAY_INGESTIONS,
  RetryRefusedError,
  dropIntoLanding,
  followIngestion,
  followRun,
  landingUri,
  newReplayId,
  replayMarkSchema,
  replayRecord,
  resolveReplayPorts,
  resolveTarget,
  runLogFor
} from "./landing-etl-chunk-BR7XMAGE.js";
import {
  ReplayPlanError,
  UsageError,
  runningStack
} from "./landing-etl-chunk-6BP6GOZP.js";

// cli/commands.ts
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { existsSync, statSync } from "node:fs";
import { basename, resolve as resolve2 } from "node:path";

// functions/shared/contracts.ts
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as z from "zod/mini";
var DATASET_NAME_MAX = 40;
var DEFAULT_MAX_BYTES = 4 * 1024 ** 3;
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
  schedule: z.optional(scheduleSchema),
  /** Read as maxBytes(contract). */
  max_bytes: z.optional(z.int({ error: "must be a whole number of bytes" }).check(z.positive("must be a positive number of bytes")))
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
var expects = (schedule, businessDate2) => schedule.every === "day" || isWeekday(businessDate2);
function dueAt(schedule, businessDate2) {
  const dueDay = schedule.businessDate === "previous day" ? addDays(businessDate2, 1) : businessDate2;
  return zonedInstant(dueDay, schedule.due, schedule.timeZone);
}
var deadline = (schedule, businessDate2) => new Date(dueAt(schedule, businessDate2).getTime() + schedule.graceMinutes * MINUTE);
function latestDueBusinessDate(schedule, now) {
  const today = localDate(now, schedule.timeZone);
  let date = schedule.businessDate === "previous day" ? addDays(today, -1) : today;
  while (!expects(schedule, date) || dueAt(schedule, date) > now) date = addDays(date, -1);
  return date;
}
var minutesLate = (schedule, businessDate2, arrivedAt) => Math.floor((arrivedAt.getTime() - dueAt(schedule, businessDate2).getTime()) / MINUTE);
function freshness(schedule, now, arrivals) {
  if (!schedule) return { status: "unscheduled", businessDate: null, dueAt: null };
  const businessDate2 = latestDueBusinessDate(schedule, now);
  const due = dueAt(schedule, businessDate2);
  const limit = deadline(schedule, businessDate2);
  const first = arrivals.filter((a) => a.businessDate === businessDate2).map((a) => new Date(a.receivedAt)).sort((a, b) => a.getTime() - b.getTime())[0];
  const about = { businessDate: businessDate2, dueAt: due.toISOString() };
  if (!first) return { status: now > limit ? "missing" : "awaiting", ...about };
  if (first > limit) return { status: "late", ...about, lateByMinutes: minutesLate(schedule, businessDate2, first) };
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
var replayView = ({ ingestions, ...replay2 }) => ({ ...replay2, ingestionCount: ingestions.length });
function durationSeconds(startedAt, endedAt) {
  if (!startedAt || !endedAt) return null;
  return Math.round(Date.parse(endedAt) - Date.parse(startedAt)) / 1e3;
}
var stageView = (s) => ({ ...s, durationSeconds: durationSeconds(s.startedAt, s.endedAt) });
function summaryView({ executionInput: _, ...summary }) {
  return { ...summary, durationSeconds: durationSeconds(summary.startedAt, summary.endedAt) };
}
function ingestionView(record, replay2) {
  return {
    ...replay2 ? { replay: replayView(replay2) } : {},
    summary: summaryView(record.summary),
    stages: record.stages.map(stageView),
    attempts: record.attempts.map((a) => ({ ...a, durationSeconds: durationSeconds(a.startedAt, a.endedAt), stages: a.stages.map(stageView) }))
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
var executionName = (ingestionId2, attempt) => attempt === 1 ? ingestionId2 : `${ingestionId2}-a${attempt}`;
var executionArn = (stateMachineArn, name) => `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;

// functions/shared/retry.ts
async function retryIngestion(id, ports) {
  const record = await ports.runLog.get(id);
  if (!record) throw new IngestionNotFoundError(`no ingestion ${id} in the run log`);
  const { summary } = record;
  if (summary.status !== "FAILED") {
    throw new RetryRefusedError(`ingestion ${id} is ${summary.status} (attempt ${summary.attempt}); only a FAILED ingestion can be retried`);
  }
  if (!summary.executionInput) throw new RetryRefusedError(`ingestion ${id} has no recorded execution input to run again`);
  const attempt = summary.attempt + 1;
  const input = { ...executionInputSchema.parse(JSON.parse(summary.executionInput)), attempt };
  const name = executionName(id, attempt);
  const arn = executionArn(ports.stateMachineArn, name);
  await ports.runLog.claimRetry(record, arn, ports.now().toISOString());
  try {
    return { attempt, executionArn: await ports.start(name, input) };
  } catch (e) {
    await ports.runLog.releaseRetry(record, ports.now().toISOString());
    throw e;
  }
}

// functions/shared/commands.ts
var retryCommand = (ingestionId2, target2) => `npx landing-etl retry ${ingestionId2}${target2 ? ` ${target2}` : ""}`;

// functions/shared/visible-text.ts
var INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
var visibleText = (text) => text.replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0).toString(16).padStart(4, "0")}}`);

// cli/format.ts
function table(headers, rows) {
  const cells = [headers, ...rows.map((r) => r.map((c) => c || "-"))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join("  ")).join("\n");
}
var seconds = (s) => s === null ? "" : `${s.toFixed(1)}s`;
var usd = (n) => n === void 0 ? "" : `$${n.toFixed(4)}`;
var time = (iso2) => iso2 ? iso2.replace("T", " ").replace(/\.\d+Z$/, "Z") : "";
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
var whereNow = (s) => s.status === "QUEUED" ? `waiting for an admission slot since ${time(s.queuedAt ?? s.updatedAt)}` : `at ${s.state}`;
function formatIngestion({ summary: s, stages, attempts, replay: replay2 }, target2) {
  const lines = [
    `ingestion  ${s.ingestionId}`,
    `dataset    ${s.dataset} (business date ${s.businessDate})${s.ingestedTable ? ` \u2192 ${s.ingestedTable}` : ""}`,
    `source     ${visibleText(s.sourceUri)}${s.sourceVersion ? ` (version ${s.sourceVersion})` : ""}`,
    `status     ${s.status} ${whereNow(s)}, attempt ${s.attempt}${s.durationSeconds === null ? "" : ` (${seconds(s.durationSeconds)})`}`,
    `received   ${time(s.receivedAt)}${s.duplicates ? ` (+${s.duplicates} duplicate deliveries ignored)` : ""}`
  ];
  if (s.replayOf) {
    lines.push(`replay of  ${s.replayOf} (replay ${s.replayId ?? ""}${replay2 ? ` by ${replay2.requestedBy} at ${time(replay2.requestedAt)}, ${replay2.from} to ${replay2.to}` : ""})`);
    if (replay2) lines.push(`reason     ${visibleText(replay2.reason)}`);
  }
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
    ["RECEIVED", "STATUS", "STATE", "ATTEMPT", "DURATION", "INGESTION", "REPLAY OF", "SOURCE"],
    items.map((s) => [
      time(s.receivedAt),
      s.status,
      s.status === "QUEUED" ? `waiting since ${time(s.queuedAt ?? s.updatedAt)}` : s.state,
      String(s.attempt),
      seconds(s.durationSeconds),
      s.ingestionId,
      s.replayOf ?? "",
      visibleText(s.sourceUri)
    ])
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

// functions/executor/s3-event.ts
import * as z3 from "zod/mini";
var encodedKey = z3.pipe(
  z3.string().check(z3.minLength(1)),
  z3.transform((key, ctx) => {
    try {
      return decodeURIComponent(key.replace(/\+/g, " "));
    } catch {
      ctx.issues.push({ code: "custom", message: `object key ${JSON.stringify(key)} is not URL-encoded UTF-8`, input: key });
      return z3.NEVER;
    }
  })
);
var sequencer = z3.catch(
  z3.optional(z3.pipe(z3.string().check(z3.regex(/^[0-9A-Fa-f]{1,64}$/)), z3.transform((s) => s.toUpperCase()))),
  void 0
);
var s3EventSchema = z3.object({
  Records: z3.array(
    z3.object({
      eventName: z3.string(),
      eventTime: z3.iso.datetime({ offset: true }),
      s3: z3.object({
        bucket: z3.object({ name: z3.string().check(z3.minLength(1)) }),
        object: z3.object({
          key: encodedKey,
          size: z3._default(z3.int().check(z3.nonnegative()), 0),
          eTag: z3.optional(z3.string()),
          versionId: z3.optional(z3.string()),
          sequencer
        })
      }),
      /** Only on a replay's record (functions/shared/replay.ts): S3's own records have none. */
      replay: z3.optional(replayMarkSchema)
    })
  )
});
var isObjectCreated = (record) => String(record?.eventName ?? "").startsWith("ObjectCreated:");
function parseS3Event(event) {
  return s3EventSchema.parse(event).Records.filter(isObjectCreated).map((r) => ({
    bucket: r.s3.bucket.name,
    key: r.s3.object.key,
    size: r.s3.object.size,
    eTag: r.s3.object.eTag,
    versionId: r.s3.object.versionId,
    sequencer: r.s3.object.sequencer,
    eventTime: new Date(r.eventTime),
    ...r.replay ? { replay: r.replay } : {}
  }));
}

// functions/shared/extensions.ts
var ACCEPTED_EXTENSIONS = [".csv", ".csv.gz", ".csv.bz2"];
var ACCEPTED_DESCRIPTION = `a ${ACCEPTED_EXTENSIONS.slice(0, -1).join(", ")} or ${ACCEPTED_EXTENSIONS.at(-1)} file`;

// functions/shared/ingestion-id.ts
import { createHash } from "node:crypto";
var partitioned = /(?:^|\/)year=(\d{4})\/month=(\d{1,2})\/day=(\d{1,2})(?:\/|$)/;
var dashed = /(?:^|[^0-9])(\d{4})-(\d{2})-(\d{2})(?:[^0-9]|$)/;
var compact = /(?:^|[^0-9])(\d{4})(\d{2})(\d{2})(?:[^0-9]|$)/;
function businessDate(key, eventTime) {
  for (const pattern of [partitioned, dashed, compact]) {
    const m = pattern.exec(key);
    if (m) {
      const iso2 = `${m[1]}-${m[2].padStart(2, "0")}-${m[3].padStart(2, "0")}`;
      if (isRealDate(iso2)) return iso2;
    }
  }
  return eventTime.toISOString().slice(0, 10);
}
function isRealDate(iso2) {
  const d = /* @__PURE__ */ new Date(`${iso2}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso2;
}
function ingestionId(dataset, date, source, replayId) {
  const version = source.versionId ?? source.eTag ?? "";
  const digest = createHash("sha256").update(`${source.bucket}
${source.key}
${version}${replayId ? `
${replayId}` : ""}`).digest("hex");
  const name = dataset.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 40);
  return `${name}-${date.replaceAll("-", "")}-${digest.slice(0, 16)}`;
}

// functions/executor/ingest.ts
function identify(obj) {
  if (obj.key.endsWith("/")) return void 0;
  const dataset = obj.key.includes("/") ? obj.key.split("/")[0] : "";
  const date = obj.replay?.businessDate ?? businessDate(obj.key, obj.eventTime);
  return { ingestionId: ingestionId(dataset || "unknown", date, obj, obj.replay?.replayId), dataset, businessDate: date };
}

// cli/replay.ts
var DATE = /^\d{4}-\d{2}-\d{2}$/;
var realDate = (d) => DATE.test(d) && (/* @__PURE__ */ new Date(`${d}T00:00:00Z`)).toISOString().slice(0, 10) === d;
function replayRequest(o, datasets2) {
  if (!o.dataset) throw new UsageError("replay needs --dataset NAME");
  if (!datasets2.includes(o.dataset)) throw new UsageError(`no dataset "${visibleText(o.dataset)}"; known datasets: ${datasets2.join(", ")}`);
  for (const [name, value] of [["--from", o.from], ["--to", o.to]]) {
    if (!value) throw new UsageError(`replay needs ${name} YYYY-MM-DD`);
    if (!realDate(value)) throw new UsageError(`${name} must be a date YYYY-MM-DD, got "${visibleText(value)}"`);
  }
  if (o.from > o.to) throw new UsageError(`--from ${o.from} is after --to ${o.to}: the range is empty`);
  const reason = o.reason?.trim() ?? "";
  if (!reason) throw new UsageError("replay needs --reason TEXT: why it is replayed (recorded with who asked)");
  if (reason.length > MAX_REASON_LENGTH) throw new UsageError(`--reason is ${reason.length} characters; at most ${MAX_REASON_LENGTH}`);
  return { dataset: o.dataset, from: o.from, to: o.to, versions: o.latest ? "latest" : "recorded", reason };
}
async function planReplay(request, replayId, summaries, versions, now) {
  const span = `business dates ${request.from} to ${request.to}`;
  if (summaries.length === 0) throw new ReplayPlanError(`no ingestions of ${request.dataset} have ${span}`);
  const plan = { request, replayId, replays: [], skipped: [], datesWithoutIngestion: missingDates(request, summaries) };
  const byObject = /* @__PURE__ */ new Map();
  for (const s of summaries) byObject.set(s.sourceUri, [...byObject.get(s.sourceUri) ?? [], s]);
  for (const [sourceUri, runs2] of [...byObject].sort(([a, x], [b, y]) => x[0].businessDate.localeCompare(y[0].businessDate) || a.localeCompare(b))) {
    const newest = runs2.filter((s) => s.status !== "REJECTED").sort((a, b) => b.receivedAt.localeCompare(a.receivedAt))[0];
    const skip = (businessDate2, reason) => plan.skipped.push({ businessDate: businessDate2, sourceUri, reason });
    if (!newest) {
      skip(runs2[0].businessDate, `every ingestion of it was rejected (${visibleText(runs2[0].cause ?? "no reason recorded")})`);
      continue;
    }
    if (IN_FLIGHT_STATUSES.includes(newest.status)) {
      skip(newest.businessDate, `its ingestion ${newest.ingestionId} is ${newest.status}: replay it once that has ended`);
      continue;
    }
    const input = executionInputSchema.safeParse(JSON.parse(newest.executionInput ?? "null"));
    if (!input.success) {
      skip(newest.businessDate, `its ingestion ${newest.ingestionId} recorded no execution input`);
      continue;
    }
    const { bucket, key, versionId: recorded, size, sequencer: sequencer2 } = input.data.source;
    const all = await versions(bucket, key);
    const latest2 = all.find((v) => v.isLatest && !v.deleteMarker);
    let object4;
    if (request.versions === "latest" || recorded === null) {
      if (!latest2) {
        skip(newest.businessDate, "the key has no current version (it was deleted)");
        continue;
      }
      const same = latest2.versionId === recorded && recorded !== null;
      object4 = { bucket, key, versionId: latest2.versionId, eTag: latest2.eTag, size: latest2.size, sequencer: same ? sequencer2 ?? void 0 : void 0 };
    } else {
      const version = all.find((v) => v.versionId === recorded && !v.deleteMarker);
      if (!version) {
        skip(newest.businessDate, `version ${recorded} is no longer in the bucket (--latest replays the key's latest version)`);
        continue;
      }
      object4 = { bucket, key, versionId: recorded, eTag: version.eTag, size, sequencer: sequencer2 ?? void 0 };
    }
    const record = replayRecord(object4, { replayId, replayOf: newest.ingestionId, businessDate: newest.businessDate }, now);
    const identity = identify(parseS3Event({ Records: [record] })[0]);
    plan.replays.push({ businessDate: newest.businessDate, sourceUri, object: object4, replayOf: newest.ingestionId, ingestionId: identity.ingestionId, record });
  }
  if (plan.replays.length === 0) {
    throw new ReplayPlanError(`nothing of ${request.dataset} with ${span} can be replayed: ${plan.skipped.map((s) => `${visibleText(s.sourceUri)}: ${s.reason}`).join("; ")}`);
  }
  if (plan.replays.length > MAX_REPLAY_INGESTIONS) {
    throw new ReplayPlanError(`${plan.replays.length} ingestions of ${request.dataset} have ${span}; one replay records at most ${MAX_REPLAY_INGESTIONS}: replay a narrower range`);
  }
  return plan;
}
function missingDates({ from, to }, summaries) {
  const known = new Set(summaries.map((s) => s.businessDate));
  const spans = [];
  for (let d = /* @__PURE__ */ new Date(`${from}T00:00:00Z`); d.toISOString().slice(0, 10) <= to; d.setUTCDate(d.getUTCDate() + 1)) {
    const day = d.toISOString().slice(0, 10);
    if (known.has(day)) continue;
    const last = spans.at(-1);
    const previous = new Date(d.getTime() - 864e5).toISOString().slice(0, 10);
    if (last && last[1] === previous) last[1] = day;
    else spans.push([day, day]);
  }
  return spans.map(([a, b]) => a === b ? a : `${a}..${b}`);
}
function formatPlan(plan) {
  const { request: r } = plan;
  const lines = [
    `replay ${plan.replayId} of ${r.dataset}, business dates ${r.from} to ${r.to}, ${r.versions === "latest" ? "each key's latest version" : "the versions the runs ingested"}`,
    `reason: ${visibleText(r.reason)}`,
    "",
    table(
      ["BUSINESS DATE", "SOURCE", "VERSION", "REPLAYS", "AS"],
      plan.replays.map((p) => [p.businessDate, visibleText(p.sourceUri), p.object.versionId ?? "(unversioned)", p.replayOf, p.ingestionId])
    )
  ];
  if (plan.skipped.length > 0) lines.push("", "not replayed:", ...plan.skipped.map((s) => `  ${s.businessDate}  ${visibleText(s.sourceUri)}: ${s.reason}`));
  if (plan.datesWithoutIngestion.length > 0) lines.push("", `no ingestion on: ${plan.datesWithoutIngestion.join(", ")}`);
  lines.push("", `${plan.replays.length} ingestion${plan.replays.length === 1 ? "" : "s"} to replay, ${plan.skipped.length} not replayed`);
  return lines.join("\n");
}
async function sendReplay(plan, ports, now) {
  const { request: r } = plan;
  const replay2 = {
    replayId: plan.replayId,
    dataset: r.dataset,
    from: r.from,
    to: r.to,
    versions: r.versions,
    requestedBy: await ports.caller(),
    reason: r.reason,
    requestedAt: now().toISOString(),
    ingestions: plan.replays.map((p) => ({ ingestionId: p.ingestionId, replayOf: p.replayOf }))
  };
  await ports.replayLog.record(replay2);
  await ports.send(plan.replays.map((p) => JSON.stringify({ Records: [p.record] })));
  const sentAt = now().toISOString();
  await ports.replayLog.markSent(r.dataset, plan.replayId, sentAt);
  return { ...replay2, sentAt };
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
  const record = await target2.runLog.get(id);
  if (!record) throw new IngestionNotFoundError(`no ingestion ${id} in ${target2.label}`);
  const { dataset, replayId } = record.summary;
  const view = ingestionView(record, replayId ? await target2.replayLog.get(dataset, replayId) : void 0);
  console.log(json ? JSON.stringify(view, null, 2) : formatIngestion(view, target2.flags));
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
async function replay(o) {
  const request = replayRequest(o, [...loadContracts().keys()]);
  const ports = await resolveReplayPorts(o);
  const now = /* @__PURE__ */ new Date();
  const plan = await planReplay(request, newReplayId(now), await ports.replayLog.ingestionsOf(request.dataset, request.from, request.to), ports.versions, now);
  const json = (sent) => ({
    replayId: plan.replayId,
    ...request,
    replays: plan.replays.map(({ record: _, ...p }) => p),
    skipped: plan.skipped,
    datesWithoutIngestion: plan.datesWithoutIngestion,
    sent
  });
  if (!o.json) console.log(formatPlan(plan));
  if (o.dryRun) {
    console.log(o.json ? JSON.stringify(json(null), null, 2) : "dry run: nothing recorded, nothing sent");
    return 0;
  }
  const recorded = await sendReplay(plan, ports, () => /* @__PURE__ */ new Date());
  if (o.json) console.log(JSON.stringify(json(recorded), null, 2));
  else {
    console.log(`replay ${plan.replayId} recorded and sent to the landing queue as ${recorded.requestedBy}`);
    console.log(`follow it: npx landing-etl runs --dataset ${request.dataset}${o.stage ? ` --stage ${o.stage}` : ""}${o.region ? ` --region ${o.region}` : ""}`);
  }
  return 0;
}
var target = (o) => resolveTarget({ stage: o.stage, region: o.region });
async function doctor(stage, region) {
  if (!stage) throw new UsageError("doctor needs --stage NAME (it checks an AWS account, not the local stack)");
  const { accountFindings, formatFindings, networkFindings } = await import("./landing-etl-doctor-OCCEGID2.js");
  const { describeAccount, describeNetwork, planFromStack, planFromTemplate } = await import("./landing-etl-doctor-aws-JGZMIX3J.js");
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
  replay,
  retry,
  runs,
  status,
  target
};
