import { jest } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SparkDrivers as SparkDriversType } from '../../local/glue/drivers';
import type { GlueModel as GlueModelType, JobRun } from '../../local/glue/model';

jest.setTimeout(300_000);

// The drivers' logs go to LOCAL_DIR/glue: this test's own folder, set before local/layout reads it.
const dir = mkdtempSync(join(tmpdir(), 'landing-etl-glue-worker-'));
let drivers: SparkDriversType;
let glue: GlueModelType;
let glueLogs: string;

beforeAll(async () => {
  process.env.LOCAL_DIR = dir;
  const { SparkDrivers } = await import('../../local/glue/drivers');
  const { GlueModel } = await import('../../local/glue/model');
  const { paths } = await import('../../local/layout');
  glueLogs = paths.glueLogs;
  mkdirSync(glueLogs, { recursive: true });
  // A job that starts Spark (so its driver is warm) and, asked to, runs the quoted-field regex the transform used
  // to run on a long value: java.util.regex recurses per character, the task's thread overflows its stack and Spark's
  // uncaught-exception handler ends the JVM, as a 100 KB quoted field did.
  const script = join(dir, 'overflow.py');
  writeFileSync(
    script,
    [
      'from pyspark.sql import functions as F',
      'from landing_etl.spark import session',
      '',
      'def main(argv):',
      '    spark = session("overflow")',
      '    if "--overflow" in argv:',
      // A value of the data (from id), not a literal, which the optimizer would fold on the driver's own thread.
      `        value = F.concat(F.lit('"'), F.expr("repeat('x', 1000000 + CAST(id AS INT))"))`,
      `        spark.range(1).select(value.rlike('^"(?:[^"]|"")*$')).collect()`,
      '    assert spark.range(10).count() == 10',
      '',
    ].join('\n'),
  );
  drivers = new SparkDrivers({
    overflow: {
      script,
      pyFiles: [paths.glueScripts],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        JAVA_HOME: process.env.JAVA_HOME,
        LANDING_ETL_SPARK_MASTER: 'local[1]',
        LANDING_ETL_SPARK_JAVA_OPTIONS: '-XX:TieredStopAtLevel=1',
        PYSPARK_PYTHON: paths.python,
        SPARK_LOCAL_IP: '127.0.0.1',
      },
    },
  });
  glue = new GlueModel({ overflow: { name: 'overflow', defaultArguments: {}, maxConcurrentRuns: 1, timeoutMinutes: 10 } }, drivers);
  await drivers.warmUp();
});

afterAll(async () => {
  glue?.close();
  await drivers?.stopAll();
});

async function ended(id: string): Promise<JobRun> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    const { JobRun: run } = await glue.getJobRun({ JobName: 'overflow', RunId: id });
    if (!['WAITING', 'RUNNING'].includes(run.JobRunState)) return run;
    if (Date.now() > deadline) throw new Error(`job run ${id} still ${run.JobRunState}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('a run whose JVM dies fails saying why, and the next run of the job gets a fresh driver and succeeds', async () => {
  const { JobRunId: dying } = await glue.startJobRun({ JobName: 'overflow', Arguments: { '--overflow': 'yes' } });
  const died = await ended(dying);
  expect(died.JobRunState).toBe('FAILED');
  expect(died.ErrorMessage).toMatch(/^GlueJvmDied: the job's JVM died \(java\.lang\.StackOverflowError; exit code \d+\)/);

  const { JobRunId: next } = await glue.startJobRun({ JobName: 'overflow' });
  expect(await ended(next)).toMatchObject({ JobRunState: 'SUCCEEDED' });
});

/** The JVMs of this test's drivers: the java processes working in its log folder (the drivers' working directory). */
function ourJvms(): number[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'java' && readlinkSync(`/proc/${pid}/cwd`) === glueLogs;
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    })
    .map(Number);
}

test('a JVM killed while its driver is idle is replaced before the next run', async () => {
  const jvms = ourJvms();
  expect(jvms).toHaveLength(1);
  const worker = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${jvms[0]}/status`, 'utf8'))![1]);
  process.kill(jvms[0]!, 'SIGKILL');
  // The worker notices and exits by itself (a run sent before it has, fails saying the JVM died).
  const deadline = Date.now() + 30_000;
  while (existsSync(`/proc/${worker}`) && !readFileSync(`/proc/${worker}/stat`, 'utf8').includes(') Z ')) {
    if (Date.now() > deadline) throw new Error(`the driver ${worker} outlived its JVM`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const { JobRunId: next } = await glue.startJobRun({ JobName: 'overflow' });
  expect(await ended(next)).toMatchObject({ JobRunState: 'SUCCEEDED' });
});
