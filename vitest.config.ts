import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    // Property tests are CPU-bound; two workers match the two cores of the reference machine.
    pool: 'threads',
    maxWorkers: 2,
  },
});
