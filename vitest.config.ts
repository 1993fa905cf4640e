import { configDefaults, defineConfig } from 'vitest/config';

// The PostgreSQL chaos test restarts the database server, which would fail the other
// PostgreSQL tests running beside it; it runs alone, after them: `npm run test:chaos`.
const CHAOS_TEST = 'test/integration/postgres-chaos.test.ts';
const chaosOnly = process.env['LEADSYNC_CHAOS'] === '1';

export default defineConfig({
  test: {
    include: chaosOnly ? [CHAOS_TEST] : ['test/**/*.test.ts'],
    exclude: chaosOnly ? [...configDefaults.exclude] : [...configDefaults.exclude, CHAOS_TEST],
    // CI refuses focused tests so a stray `.only` cannot hide the rest of the suite.
    allowOnly: !process.env['CI'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
