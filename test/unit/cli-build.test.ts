import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const repo = process.cwd();

test('the committed CLI (bin/) is the build of the current sources', () => {
  // Fails naming the stale files: run `npm run build:cli` and commit bin/.
  execFileSync(process.execPath, ['scripts/build-cli.mjs', '--check'], { stdio: 'pipe' });
});

/** What `npm ci --omit=dev` leaves: package.json, bin/ and node_modules with the production packages only. */
function productionInstall(): string {
  const dir = mkdtempSync(join(tmpdir(), 'landing-etl-prod-'));
  cpSync(join(repo, 'package.json'), join(dir, 'package.json'));
  cpSync(join(repo, 'bin'), join(dir, 'bin'), { recursive: true });
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  for (const [path, entry] of Object.entries(lock.packages)) {
    // Top-level packages that are not dev-only; nested ones come inside them.
    if (!path.startsWith('node_modules/') || path.includes('/node_modules/', 1) || entry.dev) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    symlinkSync(join(repo, path), join(dir, path));
  }
  return dir;
}

test('the CLI runs with the production dependencies alone (npm ci --omit=dev), tsx and esbuild absent', () => {
  const dir = productionInstall();
  const run = (args: string[]) => spawnSync(process.execPath, [join(dir, 'bin', 'landing-etl.js'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, LOCAL_DIR: join(dir, '.local') } });
  const help = run(['runs', '--help']);
  expect(help.stderr).toBe('');
  expect(help.status).toBe(0);
  expect(help.stdout).toMatch(/^usage: landing-etl <command> \[options\]$/m);
  // A command loads the AWS SDK and the run log; with no stack running it stops there, saying so (exit 3).
  const runs = run(['runs']);
  expect(runs.stderr).toMatch(/the local stack is not running \(no .*stack\.json\)/);
  expect(runs.status).toBe(3);
});
