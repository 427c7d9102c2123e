/** Jest runs the TypeScript sources as ESM (middy 7 and the AWS SDK are ESM-first); ts-jest only transpiles,
 *  `tsc --noEmit` does the type-checking in `npm test`. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 30_000,
};
