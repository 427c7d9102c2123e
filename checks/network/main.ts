import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CallsFileError, parseCalls, type RecordedCall } from '../../local/iam-check';
import { readPackagedTemplate, TemplateError } from '../../local/template';
import { checkNetwork, textReport } from './check';

/** npm run check:network — node --import tsx checks/network/main.ts calls.jsonl … [--package DIR]
 *  Checks that every VPC principal of the packaged dev and prod stages has a network path to every service its
 *  recorded calls and the platform use (checks/network/check.ts). Exit 0: all proven or left to doctor; 1: a path
 *  is missing; 2: the input cannot be checked. */

const STAGES = ['dev', 'prod'];
const usage = 'usage: check-network calls.jsonl … [--package DIR]';

function main(argv: string[]): number {
  const files: string[] = [];
  let packageDir = '.build/package';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--package') {
      const value = argv[++i];
      if (!value) throw new CallsFileError(`--package needs a value\n${usage}`);
      packageDir = value;
    } else if (arg.startsWith('-')) throw new CallsFileError(`unknown option ${arg}\n${usage}`);
    else files.push(arg);
  }
  if (!files.length) throw new CallsFileError(`no calls file given\n${usage}`);
  const calls: RecordedCall[] = [];
  for (const file of files) {
    if (!existsSync(file)) throw new CallsFileError(`${file}: no such calls file (run the tests first)`);
    calls.push(...parseCalls(readFileSync(file, 'utf8'), file));
  }
  const result = checkNetwork(
    calls,
    STAGES.map((stage) => ({ stage, template: readPackagedTemplate(resolve(packageDir, stage)) })),
  );
  console.log(textReport(result));
  return result.failures.length ? 1 : 0;
}

try {
  process.exit(main(process.argv.slice(2)));
} catch (e) {
  console.error(e instanceof CallsFileError || e instanceof TemplateError ? `check-network: ${(e as Error).message}` : e);
  process.exit(2);
}
