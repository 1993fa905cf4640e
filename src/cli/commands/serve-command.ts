import type { LoadedConfig } from '../../config/config-loader.js';
import { startService } from '../../server/leadsync-service.js';
import { EXIT, writeLine, type CliIo, type ExitCode } from '../cli-io.js';

/**
 * `leadsync serve --config F [--port N] [--no-worker]`: HTTP ingest and (unless
 * --no-worker) the worker in one process, until SIGTERM/SIGINT, then a graceful stop.
 */
export async function serveCommand(config: LoadedConfig, options: { port?: string; worker: boolean }, io: CliIo): Promise<ExitCode> {
  const service = await startService(config, {
    ...(options.port === undefined ? {} : { port: Number(options.port) }),
    worker: options.worker,
    log: (line) => writeLine(io.stderr, line),
  });
  const sources = [...config.sources.keys()];
  writeLine(io.stdout, `leadsync listening on ${service.url} (storage ${service.storage.file}, sandbox CRM, ${options.worker ? 'worker running' : 'no worker'})`);
  writeLine(io.stdout, `  sources: ${sources.join(', ')} → POST ${service.url}/v1/events/<source>`);
  writeLine(io.stdout, `  try it:  npx leadsync demo --config ${config.file}   (posts every preset's sample events and shows what landed)`);
  writeLine(io.stdout, `  or one:  npx leadsync send --config ${config.file} --source webform test/fixtures/webform/demo-request.json`);
  writeLine(io.stdout, `  look:    curl ${service.url}/v1/leads/contacts:ada.lovelace@acme-analytics.co.uk`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  writeLine(io.stdout, 'leadsync: stopping (finishing in-flight work)…');
  await service.stop();
  return EXIT.ok;
}
