import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderPostgresSchemaDump } from '../../scripts/postgres-schema-dump.js';
import { testDatabaseUrl } from '../support/postgres-test-schema.js';

describe('committed PostgreSQL schema dump', () => {
  it('schema/postgres-schema.sql matches the migrations (run `npm run db:dump-schema`)', async () => {
    expect(readFileSync('schema/postgres-schema.sql', 'utf8')).toBe(await renderPostgresSchemaDump(testDatabaseUrl()));
  });
});
