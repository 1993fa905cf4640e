import type { LoadedConfig } from '../config/config-loader.js';
import type { CliIo, ExitCode } from './cli-io.js';

/** What a command group needs from `main`: its streams, the config loader and where to put the exit code. */
export interface CommandContext {
  readonly io: CliIo;
  /** Loads and validates a config file; throws ConfigError (exit 2). */
  readonly load: (file: string) => Promise<LoadedConfig>;
  readonly setExitCode: (code: ExitCode) => void;
}
