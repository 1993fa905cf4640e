import { ConfigError } from '../config/config-error.js';
import { loadConfig, type LoadedConfig } from '../config/config-loader.js';
import type { Runtime } from '../server/runtime.js';
import { writeLine, type CliIo } from './cli-io.js';

/**
 * SIGHUP re-reads the config file and applies sources, mappings, policies and
 * normalizers without a restart (`leadsync serve` and `leadsync worker`). A file
 * that does not load leaves the previous config running. Returns the function
 * that removes the listener.
 */
export function reloadConfigOnHangup(config: LoadedConfig, runtime: Pick<Runtime, 'reload'>, io: CliIo): () => void {
  const reloadOnHangup = (): void => {
    loadConfig(config.file, { env: io.env })
      .then((next) => {
        runtime.reload(next);
        writeLine(io.stderr, `leadsync: reloaded ${config.file} (SIGHUP)`);
      })
      .catch((error: unknown) => {
        const detail = error instanceof ConfigError ? `${error.code}: ${error.message}` : String(error);
        writeLine(io.stderr, `leadsync: SIGHUP reload of ${config.file} failed; still running on the previous config. ${detail}`);
      });
  };
  process.on('SIGHUP', reloadOnHangup);
  return () => {
    process.off('SIGHUP', reloadOnHangup);
  };
}
