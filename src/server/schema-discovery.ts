import Database from 'better-sqlite3';
import type { ConfigDocument, LoadedConfig } from '../config/config-loader.js';
import type { CrmSchema } from '../core/crm-schema/crm-schema-types.js';
import { buildCrmDestination } from './crm-destination-factory.js';

/**
 * Asks the configured destination for its schema, directly (no storage, no
 * governor: one describe is a handful of calls). The sandbox describes the
 * schema the config declares, so it needs the loaded config; a real CRM only
 * the validated document.
 */
export async function describeDestination(config: ConfigDocument | LoadedConfig, options: { readonly fetch?: typeof fetch } = {}): Promise<CrmSchema> {
  const fetchOption = options.fetch === undefined ? {} : { fetch: options.fetch };
  if (config.document.destination.kind !== 'sandbox') {
    return buildCrmDestination(config.document.destination, { configFile: config.file, ...fetchOption }).describe();
  }
  if (!('schema' in config)) throw new Error('describing the sandbox needs the loaded config (its declared schema)');
  // The sandbox's records are not needed to describe it: a throwaway database.
  const database = new Database(':memory:');
  try {
    return await buildCrmDestination(config.document.destination, { configFile: config.file, schema: config.schema, database }).describe();
  } finally {
    database.close();
  }
}
