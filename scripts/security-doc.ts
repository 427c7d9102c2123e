import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadStage } from '../local/iam-check';
import { SecurityDocError, securityTables, withTables } from '../local/security-tables';
import { readPackagedTemplate, TemplateError } from '../local/template';

/** node --import tsx scripts/security-doc.ts [--check] [--package DIR] [--doc FILE]
 *  Writes the tables of docs/security.md that the packaged dev and prod templates decide (local/security-tables.ts)
 *  between the doc's markers. --check writes nothing and exits 1 when the doc's tables are stale. */

const usage = 'usage: security-doc [--check] [--package DIR] [--doc FILE]  (package with npm run package first)';

function main(argv: string[]): number {
  let check = false;
  let packageDir = '.build/package';
  let doc = 'docs/security.md';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--check') check = true;
    else if (arg === '--package' || arg === '--doc') {
      const value = argv[++i];
      if (!value) throw new TemplateError(`${arg} needs a value\n${usage}`);
      if (arg === '--package') packageDir = value;
      else doc = value;
    } else throw new TemplateError(`unknown argument ${arg}\n${usage}`);
  }
  const stages = ['dev', 'prod'].map((stage) => loadStage(readPackagedTemplate(resolve(packageDir, stage)), { stage }));
  const before = readFileSync(doc, 'utf8');
  const after = withTables(before, securityTables(stages));
  if (check) {
    if (after === before) return 0;
    console.error(`${doc}: its generated tables are stale: run node --import tsx scripts/security-doc.ts`);
    return 1;
  }
  if (after !== before) writeFileSync(doc, after);
  console.log(after === before ? `${doc}: up to date` : `wrote ${doc}`);
  return 0;
}

try {
  process.exit(main(process.argv.slice(2)));
} catch (e) {
  console.error(e instanceof TemplateError || e instanceof SecurityDocError ? `security-doc: ${e.message}` : e);
  process.exit(2);
}
