/** Settings for fast-check property tests: seeded, so `npm test` is repeatable and a failure reproduces; a run
 *  can explore other seeds with FC_SEED=<n> (a failure prints the seed and the path to replay it). */
export const seeded = (numRuns = 300) => ({
  seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261121,
  numRuns,
});
