import base from './jest.config.js';

/** The slow robustness suite (npm run test:faults): bad input, delivery faults and hostile load on the local stack. */
export default { ...base, testMatch: ['<rootDir>/test/faults/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/'] };
