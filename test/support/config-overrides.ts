import type { LoadedConfig } from '../../src/config/config-loader.js';
import type { LeadsyncConfigDocument } from '../../src/config/config-schema.js';

/** `config` with some storage settings replaced, e.g. the SQLite file moved into the test's temp directory. */
export function withStorage(config: LoadedConfig, storage: Partial<LeadsyncConfigDocument['storage']>): LoadedConfig {
  return { ...config, document: { ...config.document, storage: { ...config.document.storage, ...storage } } };
}
