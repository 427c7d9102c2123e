#!/usr/bin/env node
// Built by `npm run build:cli` (scripts/build-cli.mjs) from cli/: edit the sources, then rebuild.

// cli/errors.ts
var UsageError = class extends Error {
  name = "UsageError";
};
var ReplayPlanError = class extends Error {
  name = "ReplayPlanError";
};
var ReplaySendError = class extends Error {
  name = "ReplaySendError";
};

// cli/stack-file.ts
import { readFileSync } from "node:fs";

// local/layout.ts
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
var repoRoot = fileURLToPath(new URL("..", import.meta.url));
var localDir = resolve(process.env.LOCAL_DIR ?? join(repoRoot, ".local"));
var localAws = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };
var paths = {
  stackFile: join(localDir, "stack.json"),
  lockFile: join(localDir, "stack.lock"),
  postgres: join(localDir, "postgres"),
  dynamodb: join(localDir, "dynamodb"),
  /** Folder-mode S3: one folder per bucket. */
  s3: join(localDir, "s3"),
  /** API-mode landing folder: what is dropped here is uploaded to the landing bucket, then removed. */
  dropFolder: join(localDir, "landing"),
  /** Folder-mode S3: the landing files already announced to the executor (key, size, mtime), one JSON line each. */
  landingAnnounced: join(localDir, "landing-announced.jsonl"),
  executions: join(localDir, "stepfunctions"),
  glueLogs: join(localDir, "glue"),
  /** Each function's unzipped package and its log. */
  lambdas: join(localDir, "lambda"),
  notifications: join(localDir, "notifications.jsonl"),
  /** Written as the stack stops: Glue's API calls and its runs (local/stack.ts). */
  glueReport: join(localDir, "glue-report.json"),
  /** The executor's on-failure destination: events it could not process after Lambda's retries. */
  /** Events EventBridge could not deliver to a rule's target after its retries (the target's dead-letter queue). */
  eventDeadLetters: join(localDir, "eventbridge-dead-letters.jsonl"),
  /** The local issuer's signing key and client secrets (local/issuer.ts), kept so tokens survive a restart. */
  issuer: join(localDir, "issuer"),
  /** For tools: the token endpoint and the rows and operations clients' credentials (secret: owner-only). */
  apiClients: join(localDir, "api-clients.json"),
  /** The privacy key the local secret holds, kept so pseudonyms survive a restart. */
  privacyKey: join(localDir, "privacy-key"),
  /** Every AWS call of the stack's principals (LANDING_ETL_AWS_CALLS names another file). */
  awsCalls: resolve(process.env.LANDING_ETL_AWS_CALLS ?? join(localDir, "aws-calls.jsonl")),
  sampleMarker: join(localDir, "sample-ingested"),
  python: join(repoRoot, ".venv", "bin", "python"),
  glueScripts: join(repoRoot, "glue-scripts"),
  /** Spark's S3A connector and the AWS SDK it needs (scripts/setup-python.sh fetches them from Maven Central). */
  sparkJars: join(repoRoot, ".venv", "jars"),
  migrations: join(repoRoot, "migrations")
};

// cli/stack-file.ts
var StackNotRunningError = class extends Error {
  name = "StackNotRunningError";
};
function runningStack() {
  let info;
  try {
    info = JSON.parse(readFileSync(paths.stackFile, "utf8"));
  } catch {
    throw new StackNotRunningError(`the local stack is not running (no ${paths.stackFile}): start it with npm start`);
  }
  try {
    process.kill(info.pid, 0);
  } catch {
    throw new StackNotRunningError(`the local stack is not running (pid ${info.pid} has exited): start it with npm start`);
  }
  return info;
}

export {
  UsageError,
  ReplayPlanError,
  ReplaySendError,
  localAws,
  StackNotRunningError,
  runningStack
};
