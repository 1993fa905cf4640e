// Writes schema/postgres-schema.sql from the PostgreSQL migrations, so schema
// changes show in review. Uses LEADSYNC_TEST_DATABASE_URL, else the local test
// database (postgres://postgres@127.0.0.1:5432/test). A test fails when the file is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderPostgresSchemaDump } from './postgres-schema-dump.js';

const url = process.env['LEADSYNC_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
mkdirSync('schema', { recursive: true });
writeFileSync('schema/postgres-schema.sql', await renderPostgresSchemaDump(url));
console.log('wrote schema/postgres-schema.sql');
