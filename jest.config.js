/** Jest runs the TypeScript sources as ESM (middy 7 and the AWS SDK are ESM-first); ts-jest only transpiles,
 *  `tsc --noEmit` does the type-checking in `npm test`. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The slow robustness suite runs on its own: npm run test:faults (CI runs it too).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/'],
  testTimeout: 30_000,
};
