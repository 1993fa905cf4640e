import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { onTestFinished } from 'vitest';

/**
 * The PostgreSQL the tests use: 127.0.0.1:5432, database `test`, user
 * `postgres` (trust auth), unless LEADSYNC_TEST_DATABASE_URL says otherwise.
 * Tests fail, never skip, when it is unreachable: `.ci/run` starts it.
 */
export function testDatabaseUrl(): string {
  return process.env['LEADSYNC_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** A schema name no other test uses: `t_<hex>`, or `<prefix>_<hex>`. */
export function uniqueSchemaName(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Runs `work` on a connection of its own (no pool), closed afterwards. */
export async function withTestConnection<T>(work: (client: pg.Client) => Promise<T>, schema?: string): Promise<T> {
  return withConnection({ connectionString: testDatabaseUrl(), ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }) }, work);
}

/** Runs `work` on a connection of its own to `config` (a URL through a pooler, say), closed afterwards. */
export async function withConnection<T>(config: pg.ClientConfig, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh schema name for the current test. When the test finishes, `cleanup`
 * runs (close pools first), then the schemas are dropped if the test passed,
 * or kept, with their names printed, if it failed, so they can be inspected.
 * `extraSchemas` names other schemas the test created from the same name (a queue engine's).
 */
export function schemaForThisTest(cleanup: () => Promise<void>, extraSchemas: (schema: string) => readonly string[] = () => []): string {
  const schema = uniqueSchemaName();
  onTestFinished(async (context) => {
    await cleanup();
    const schemas = [schema, ...extraSchemas(schema)];
    if (context.task.result?.state === 'fail') {
      console.error(`kept the PostgreSQL schema(s) of failed test "${context.task.name}": ${schemas.join(', ')} (${testDatabaseUrl()})`);
      return;
    }
    await withTestConnection(async (client) => {
      for (const name of schemas) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    });
  });
  return schema;
}
