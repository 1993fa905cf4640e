import type { LoadedConfig } from '../config/config-loader.js';
import { openRuntime, type Runtime } from '../server/runtime.js';
import { LeadsyncError } from '../core/errors/error-codes.js';
import { UsageError } from './usage-error.js';

/**
 * Opens the config's runtime (storage and CRM), runs `work`, and closes the
 * runtime whatever happens. A runtime the config cannot open (an unsupported
 * backend, storage that cannot be reached or written) is a usage, config or
 * setup error: exit 2, with its own code when it has one.
 */
export async function withRuntime<T>(config: LoadedConfig, work: (runtime: Runtime) => Promise<T>): Promise<T> {
  let runtime: Runtime;
  try {
    runtime = await openRuntime(config);
  } catch (error) {
    // A coded problem (PostgreSQL down, a directory not writable) keeps its code; main reports it.
    if (error instanceof LeadsyncError) throw error;
    throw new UsageError(`cannot open the storage and CRM of ${config.file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

/** Who a person's action is recorded as when `--actor` is not given: $USER, else "cli". */
export function defaultActor(env: Readonly<Record<string, string | undefined>>): string {
  const user = env['USER']?.trim();
  return user !== undefined && user !== '' ? user : 'cli';
}
