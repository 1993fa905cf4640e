import type { LoadedConfig } from '../../config/config-loader.js';
import { startService } from '../../server/leadsync-service.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import { reloadConfigOnHangup } from '../config-reload-signal.js';
import { parsePortOption } from '../operator-format.js';
import { listenError } from '../listen-errors.js';
import { listenForStopSignal } from '../stop-signal.js';

export interface WorkerOptions {
  /** Serve `GET /metrics` on this port. (Default: no metrics endpoint) */
  readonly metricsPort?: string;
  readonly json?: boolean;
}

/**
 * `leadsync worker --config F [--metrics-port N] [--json]`: the worker alone (no HTTP API),
 * for running more workers beside `leadsync serve --no-worker`. Stops gracefully on
 * SIGTERM/SIGINT; SIGHUP reloads the config. With --json, stdout carries one JSON line when running and one when stopped.
 */
export async function workerCommand(config: LoadedConfig, options: WorkerOptions, io: CliIo): Promise<ExitCode> {
  const metricsPort = parsePortOption('--metrics-port', options.metricsPort);
  const stopSignal = listenForStopSignal();
  try {
    return await runWorker(config, metricsPort, options, io, stopSignal.received);
  } finally {
    stopSignal.dispose();
  }
}

async function runWorker(config: LoadedConfig, metricsPort: number | undefined, options: WorkerOptions, io: CliIo, stopRequested: Promise<void>): Promise<ExitCode> {
  let service;
  try {
    service = await startService(config, {
      worker: true,
      http: false,
      ...(metricsPort === undefined ? {} : { metricsPort }),
      log: (line) => writeLine(io.stderr, line),
    });
  } catch (error) {
    throw listenError(error, `--metrics-port ${metricsPort ?? '?'}, service.host in ${config.file}`) ?? error;
  }
  const metrics = service.metricsUrl === '' ? null : `${service.metricsUrl}/metrics`;
  if (options.json) writeJson(io.stdout, { status: 'running', storage: service.storage.location, metrics });
  else writeLine(io.stdout, `leadsync worker running (storage ${service.storage.location}${metrics ? `, metrics on ${metrics}` : ''}); stop with Ctrl-C or SIGTERM`);
  // SIGHUP re-reads the config like `leadsync serve` does: a mapping fixed for a DLQ replay reaches every worker without a restart.
  const stopReloading = reloadConfigOnHangup(config, service.runtime, io);
  await stopRequested;
  stopReloading();
  if (!options.json) writeLine(io.stdout, 'leadsync worker: stopping (finishing in-flight work)…');
  await service.stop();
  if (options.json) writeJson(io.stdout, { status: 'stopped' });
  else writeLine(io.stdout, 'leadsync worker: stopped (in-flight work finished).');
  return EXIT.ok;
}
