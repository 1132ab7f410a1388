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
  // Time a worker has to exit once its files are done before jest kills it and reports "failed to
  // exit gracefully" (default 500 ms). A worker that ran the large-tenant suites has an RSS near
  // 1 GB, and tearing a process of that size down took 450-550 ms here with nothing left open
  // (measured: 'exit' emitted 3 ms after jest's end message, only the IPC and stdio pipes active).
  // A worker that really leaks (a server, a socket, a child process, an interval) never exits and
  // is still reported; test/support-tests/stand-ins-teardown.test.ts guards the stand-ins.
  workerGracefulExitTimeout: 5000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // npm test points TMPDIR at a folder of the run (test/support/jest-with-test-ca.js): the cache
  // is kept outside it, so it outlives the run.
  ...(process.env.JEST_CACHE_DIRECTORY ? { cacheDirectory: process.env.JEST_CACHE_DIRECTORY } : {}),
};
