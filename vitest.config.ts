import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CI refuses focused tests so a stray `.only` cannot hide the rest of the suite.
    allowOnly: !process.env['CI'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
