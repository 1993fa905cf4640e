import { describe, expect, it } from 'vitest';
import { openPostgresStorage } from '../../src/adapters/postgres/pg-storage.js';
import { testDatabaseUrl, uniqueSchemaName } from '../support/postgres-test-schema.js';

// A storage URL whose search_path names a schema nobody created: the error names the
// search_path and says how to fix it (docs/deploy.md creates the schema first).
describe('PostgreSQL storage on a search_path with no existing schema', () => {
  it('refuses with a message naming the search_path and CREATE SCHEMA', async () => {
    const missing = uniqueSchemaName('missing');
    const base = testDatabaseUrl();
    const url = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${missing}`)}`;
    const opening = openPostgresStorage({ url, maxConnections: 1 });
    await expect(opening).rejects.toThrow(new RegExp(`search_path \\(${missing}\\) exists\\. Create it first \\(CREATE SCHEMA`));
    // The cause's own message, not String(error)'s "Error: " in the middle of the sentence.
    await expect(opening).rejects.toThrow(/^PostgreSQL migrations failed: no schema to migrate/);
  });
});
