import { glueArgv } from '../../local/glue/drivers';

test("Glue's argv: its own run parameters, flags without values, every argument once, in no fixed order", () => {
  const args = { '--enable-metrics': 'true', '--ingestion_id': 'abc', '--TempDir': 's3://data/glue-temp/', '--job-language': 'python' };
  const orders = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const argv = glueArgv('landing-etl-dev-transform', 'jr_1', args);
    orders.add(argv.join(' '));
    const at = (k: string) => argv.indexOf(k);
    // The flag stands alone: whatever follows it is the next key.
    expect(argv[at('--enable-metrics') + 1] ?? '--end').toMatch(/^--/);
    expect(argv[at('--ingestion_id') + 1]).toBe('abc');
    expect(argv[at('--JOB_RUN_ID') + 1]).toBe('jr_1');
    expect(argv[at('--JOB_NAME') + 1]).toBe('landing-etl-dev-transform');
    expect(argv[at('--JOB_ID') + 1]).toMatch(/^j_[0-9a-f]{64}$/);
    expect(argv.filter((t) => t.startsWith('--')).sort()).toEqual(
      ['--JOB_ID', '--JOB_NAME', '--JOB_RUN_ID', '--TempDir', '--enable-metrics', '--ingestion_id', '--job-language'].sort(),
    );
  }
  expect(orders.size).toBeGreaterThan(1);
});
