import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CallsFileError, checkCalls, loadStage, parseCalls, type RecordedCall } from '../local/iam-check';
import { denials, markdownReport, textReport } from '../local/iam-report';
import { readPackagedTemplate, TemplateError } from '../local/template';

/** npm run check:iam — node --import tsx scripts/check-iam.ts [calls.jsonl …] [--docs docs/iam.md] [--package DIR]
 *  Checks every AWS call the local stack recorded against the IAM policies of the packaged dev and prod stages
 *  (local/iam-check.ts). Exit 0: every call allowed; 1: a call is denied; 2: the input cannot be checked. */

const STAGES = ['dev', 'prod'];
const usage = 'usage: check-iam [calls.jsonl …] [--docs FILE] [--package DIR]  (default calls file: $LANDING_ETL_AWS_CALLS or .local/aws-calls.jsonl)';

async function main(argv: string[]): Promise<number> {
  const files: string[] = [];
  let docs: string | undefined;
  let packageDir = '.build/package';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--docs' || arg === '--package') {
      const value = argv[++i];
      if (!value) throw new CallsFileError(`${arg} needs a value\n${usage}`);
      if (arg === '--docs') docs = value;
      else packageDir = value;
    } else if (arg === '-h' || arg === '--help') {
      console.log(usage);
      return 0;
    } else if (arg.startsWith('--')) throw new CallsFileError(`unknown option ${arg}\n${usage}`);
    else files.push(arg);
  }
  if (!files.length) files.push(process.env.LANDING_ETL_AWS_CALLS ?? join('.local', 'aws-calls.jsonl'));

  const calls: RecordedCall[] = [];
  for (const file of files) {
    if (!existsSync(file)) throw new CallsFileError(`${file}: no such calls file (run the local stack or the tests first)`);
    calls.push(...parseCalls(readFileSync(file, 'utf8'), file));
  }
  const stages = STAGES.map((stage) => loadStage(readPackagedTemplate(resolve(packageDir, stage)), { stage }));
  const result = await checkCalls(calls, stages);
  if (result.calls === Object.values(result.ignored).reduce((n, c) => n + c, 0)) {
    throw new CallsFileError(`${files.join(', ')}: no call of a deployment role recorded: nothing to prove`);
  }
  console.log(textReport(result, stages, files));
  if (docs) {
    writeFileSync(docs, markdownReport(result, stages, files));
    console.log(`wrote ${docs}`);
  }
  return denials(result).length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(e instanceof CallsFileError || e instanceof TemplateError ? `check-iam: ${e.message}` : e);
    process.exit(2);
  },
);
