/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Integration suites start real servers (ARM stand-in, identity endpoint, Azurite);
  // two workers on a two-core machine keeps them from starving each other.
  maxWorkers: 2,
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // npm test points TMPDIR at a folder of the run (test/support/jest-with-test-ca.js): the cache
  // is kept outside it, so it outlives the run.
  ...(process.env.JEST_CACHE_DIRECTORY ? { cacheDirectory: process.env.JEST_CACHE_DIRECTORY } : {}),
};
