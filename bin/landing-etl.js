#!/usr/bin/env node
// Built by `npm run build:cli` (scripts/build-cli.mjs) from cli/: edit the sources, then rebuild.
import {
  StackNotRunningError,
  UsageError
} from "./landing-etl-chunk-6BP6GOZP.js";

// cli/main.ts
import { parseArgs } from "node:util";
var USAGE = `usage: landing-etl <command> [options]

  ingest FILE --dataset NAME [--date YYYY-MM-DD]    land FILE in the local stack and follow its ingestion
  status ID                                         one ingestion's run log: every stage, every attempt
  runs [--dataset NAME | --object S3_URI] [--status STATUS] [--limit N] [--cursor C]
                                                    recent ingestions of a dataset (all: every dataset) or of
                                                    one source object, newest first
  retry ID [--detach]                               re-run a FAILED ingestion as its next attempt and follow it
  replay --dataset NAME --from DATE --to DATE --reason TEXT [--latest] [--dry-run]
                                                    re-run the ingestions of a business-date range from the
                                                    versions they ingested (--latest: each key's latest), through
                                                    the landing queue; prints the plan first (docs/replay.md)
  doctor --stage NAME [--region R]                  read-only checks of the account a stage deploys to (network,
                                                    engine version, quotas), each problem with its fix
  datasets                                          every dataset's freshness against its schedule (fresh,
                                                    awaiting, missing, late, unscheduled), last success, last
                                                    run and daily figures: what GET /datasets serves
  token [--scope rows|operations] [--page]          an access token for the API: rows (GET /get, the default) or
                                                    operations (the run log); --page prints the operator
                                                    page's address with an operations token in it

  --json              machine-readable output (status, runs, retry, replay, datasets)
  --stage NAME        a deployed stage (CloudFormation stack landing-etl-NAME) instead of the local stack
  --region R          the deployed stage's region (default: the AWS SDK's)
  --help, -h          this text`;
var OPTIONS = {
  dataset: { type: "string" },
  object: { type: "string" },
  date: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  latest: { type: "boolean", default: false },
  "dry-run": { type: "boolean", default: false },
  reason: { type: "string" },
  status: { type: "string" },
  limit: { type: "string", default: "20" },
  cursor: { type: "string" },
  json: { type: "boolean", default: false },
  detach: { type: "boolean", default: false },
  stage: { type: "string" },
  region: { type: "string" },
  scope: { type: "string" },
  page: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false }
};
function parseOptions(args) {
  try {
    return parseArgs({ args, allowPositionals: true, options: OPTIONS });
  } catch (e) {
    if (String(e.code).startsWith("ERR_PARSE_ARGS_")) throw new UsageError(usageMessage(e));
    throw e;
  }
}
var usageMessage = (e) => e.message.split(". ")[0].replace(/^Unknown option '([^']+)'$/, 'unknown option "$1"').replace(/^Option '(\S+) <value>' argument missing$/, "$1 needs a value");
async function main(argv) {
  const [command, ...rest] = argv;
  const { values: o, positionals } = parseOptions(rest);
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  const commands = () => import("./landing-etl-commands-ZD5OPIEW.js");
  const target = async () => (await commands()).target(o);
  switch (command) {
    case "ingest":
      if (o.stage) throw new UsageError("ingest lands files in the local stack; on a stage, upload to its landing bucket");
      return (await commands()).ingest(positionals[0], o.dataset, o.date);
    case "status":
      if (!positionals[0]) throw new UsageError("status needs an ingestion ID");
      return (await commands()).status(await target(), positionals[0], o.json);
    case "runs": {
      const { runs, parseLimit, parseStatus } = await commands();
      return runs(await target(), { ...o, limit: parseLimit(o.limit), status: parseStatus(o.status) });
    }
    case "retry":
      if (!positionals[0]) throw new UsageError("retry needs an ingestion ID");
      return (await commands()).retry(await target(), positionals[0], o.json, o.detach);
    case "replay":
      return (await commands()).replay({ ...o, dryRun: o["dry-run"] });
    case "datasets":
      return (await commands()).datasets(await target(), o.json);
    case "token": {
      const { token, parseScope } = await import("./landing-etl-token-7VHB2PDQ.js");
      return token(parseScope(o.scope ?? (o.page ? "operations" : "rows")), o);
    }
    case "doctor":
      return (await commands()).doctor(o.stage, o.region);
    case void 0:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`landing-etl: ${e.message}`);
    if (e instanceof UsageError) console.error(USAGE);
    process.exit(e instanceof UsageError ? 2 : e instanceof StackNotRunningError ? 3 : 1);
  }
);
