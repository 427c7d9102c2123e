import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
// @ts-expect-error a plain ES module shared with scripts/package-stages.sh
import { packageInputsDigest } from '../scripts/package-inputs.mjs';
import { repoRoot } from './layout';

/** The folder of a stage's package as `sls package` wrote it, packaging the stage again first when a source it is
 *  built from changed since (its stamp holds the digest of those sources). */
export async function packagedStage(stage: string, log: (line: string) => void): Promise<string> {
  const dir = join(repoRoot, '.build', 'package', stage);
  const want = (packageInputsDigest as () => string)();
  const have = await readFile(join(dir, '.inputs-digest'), 'utf8').then((s) => s.trim(), () => '');
  if (have !== want) {
    log(`packaging stage ${stage} (its sources changed since the last package)…`);
    await promisify(execFile)('bash', [join(repoRoot, 'scripts', 'package-stages.sh'), stage], { cwd: repoRoot });
  }
  return dir;
}
