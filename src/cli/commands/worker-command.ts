import type { LoadedConfig } from '../../config/config-loader.js';
import { startService } from '../../server/leadsync-service.js';
import { EXIT, writeLine, type CliIo, type ExitCode } from '../cli-io.js';

/**
 * `leadsync worker --config F`: the worker alone (no HTTP), for running more
 * workers beside `leadsync serve --no-worker`. Stops gracefully on SIGTERM/SIGINT.
 */
export async function workerCommand(config: LoadedConfig, io: CliIo): Promise<ExitCode> {
  const service = await startService(config, { worker: true, http: false, log: (line) => writeLine(io.stderr, line) });
  writeLine(io.stdout, `leadsync worker running (storage ${service.storage.file}); stop with Ctrl-C or SIGTERM`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  writeLine(io.stdout, 'leadsync worker: stopping (finishing in-flight work)…');
  await service.stop();
  return EXIT.ok;
}
