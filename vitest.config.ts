import { defineConfig } from 'vitest/config';

// The whole suite runs on SQLite always, and again on PostgreSQL when TEST_DATABASE_URL
// names a server where the tests may create databases (one fresh database per test app).
const postgres = process.env.TEST_DATABASE_URL;
if (!postgres && !process.env.TEST_PG_NOTICE_SHOWN) {
  process.env.TEST_PG_NOTICE_SHOWN = '1';
  console.log(
    'PostgreSQL suite skipped: set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres to run every test on PostgreSQL too.',
  );
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true as const, test: { name: 'sqlite', env: { TEST_DIALECT: 'sqlite' } } },
      ...(postgres ? [{ extends: true as const, test: { name: 'postgres', env: { TEST_DIALECT: 'postgres' } } }] : []),
    ],
  },
});
