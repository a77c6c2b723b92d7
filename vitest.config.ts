import { defineConfig } from 'vitest/config'

// Two kinds of tests, as in node-pg-migrate: pure code (`unit`) and tests
// that talk to a real PostgreSQL (`integration`). `package` packs the library
// and installs the tarball into a scratch project; it is slower and runs
// separately (`npm run test:package`).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['./test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Load, faults and restart (issue 8; docs/reliability.md). Bounded by
        // default; BITEMPORAL_RELIABILITY=full runs longer with more workers.
        // One file at a time: each scenario wants the machine to itself.
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          globalSetup: ['./test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 900_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          // One file at a time: each packs the library (its prepack rebuilds
          // dist/) and runs npm install, which two files at once would race on.
          fileParallelism: false,
          // The packed library runs its migrations and the tax-rate story on it.
          globalSetup: ['./test/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
})
