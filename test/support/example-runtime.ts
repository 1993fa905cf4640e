import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { loadConfig, type LoadedConfig } from '../../src/config/config-loader.js';
import { openRuntime, type Runtime } from '../../src/server/runtime.js';
import { withStorage } from './config-overrides.js';
import { tempDirForThisTest } from './temp-dir.js';

/**
 * A runtime on `examples/leadsync.yaml` (sandbox CRM) with its SQLite file in a temp directory of its own,
 * closed and removed when the current test finishes. `synchronous: normal` keeps the tests fast;
 * durability is not what they check.
 */
export async function exampleRuntimeForThisTest(dirPrefix: string): Promise<{ runtime: Runtime; config: LoadedConfig }> {
  const dir = tempDirForThisTest(dirPrefix);
  const config = await loadConfig('examples/leadsync.yaml', { env: {} });
  const runtime = await openRuntime(withStorage(config, { file: join(dir, 'leadsync.db'), synchronous: 'normal' }));
  onTestFinished(() => runtime.close());
  return { runtime, config };
}
