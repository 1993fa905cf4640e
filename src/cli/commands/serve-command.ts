import { join, relative } from 'node:path';
import type { LoadedConfig } from '../../config/config-loader.js';
import { serviceUrl } from '../../server/leadsync-api-client.js';
import { startService } from '../../server/leadsync-service.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import { FIXTURES_DIR } from '../package-paths.js';
import { reloadConfigOnHangup } from '../config-reload-signal.js';
import { parsePortOption } from '../operator-format.js';
import { listenError } from '../listen-errors.js';
import { listenForStopSignal } from '../stop-signal.js';

export interface ServeOptions {
  readonly port?: string;
  readonly worker: boolean;
  readonly json?: boolean;
}

/**
 * `leadsync serve --config F [--port N] [--no-worker] [--json]`: HTTP ingest and (unless
 * --no-worker) the worker in one process, until SIGTERM/SIGINT, then a graceful stop.
 * With --json, stdout carries one JSON line when listening and one when stopped.
 */
export async function serveCommand(config: LoadedConfig, options: ServeOptions, io: CliIo): Promise<ExitCode> {
  const port = parsePortOption('--port', options.port);
  const stopSignal = listenForStopSignal();
  try {
    return await runServe(config, port, options, io, stopSignal.received);
  } finally {
    stopSignal.dispose();
  }
}

async function runServe(config: LoadedConfig, port: number | undefined, options: ServeOptions, io: CliIo, stopRequested: Promise<void>): Promise<ExitCode> {
  let service;
  try {
    service = await startService(config, {
      ...(port === undefined ? {} : { port }),
      worker: options.worker,
      log: (line) => writeLine(io.stderr, line),
    });
  } catch (error) {
    throw listenError(error, port === undefined ? `service.host and service.port in ${config.file}` : `--port ${port}, service.host in ${config.file}`) ?? error;
  }
  const sources = [...config.sources.keys()];
  if (options.json) {
    writeJson(io.stdout, { status: 'listening', url: service.url, storage: service.storage.location, worker: options.worker, sources, metrics: `${service.url}/metrics`, openapi: `${service.url}/openapi.json`, dashboard: `${service.url}/`, ...(service.firstAdminToken === null ? {} : { firstAdminToken: service.firstAdminToken }) });
  } else {
    writeLine(io.stdout, `leadsync listening on ${service.url} (storage ${service.storage.location}, ${config.document.destination.kind} CRM, ${service.workerMode === 'thread' ? 'worker running in its own thread' : service.workerMode === 'event-loop' ? 'worker running' : 'no worker'})`);
    writeLine(io.stdout, `  sources: ${sources.join(', ')} → POST ${service.url}/v1/events/<source>`);
    const url = urlOption(config, service.url);
    writeLine(io.stdout, `  try it:  LEADSYNC_TOKEN=<token> npx leadsync demo --config ${config.file}${url}   (posts every preset's sample events and shows what landed)`);
    writeLine(io.stdout, `  or one:  npx leadsync send --config ${config.file}${url} --source webform ${relative(process.cwd(), join(FIXTURES_DIR, 'webform', 'demo-request.json'))}`);
    // No lead key here: a banner is logged by whatever runs the service, and lead keys hold email addresses.
    writeLine(io.stdout, `  look:    dashboard ${service.url}/   ·   curl -H "Authorization: Bearer <token>" ${service.url}/v1/dlq   ·   API docs ${service.url}/docs   ·   metrics ${service.url}/metrics`);
    if (service.firstAdminToken !== null) {
      // stdout only, once: the structured log never sees it, and only its hash is stored.
      writeLine(io.stdout, '');
      writeLine(io.stdout, '  First start: an admin API token was created. It is shown this once; only its hash is stored.');
      writeLine(io.stdout, `  admin token: ${service.firstAdminToken}`);
      writeLine(io.stdout, `  Log in to the dashboard with it, then create tokens per person: leadsync tokens create --config ${config.file} --name <who> --role viewer|operator|admin`);
    }
  }
  const stopReloading = reloadConfigOnHangup(config, service.runtime, io);
  await stopRequested;
  stopReloading();
  if (!options.json) writeLine(io.stdout, 'leadsync: stopping (finishing in-flight work)…');
  await service.stop();
  if (options.json) writeJson(io.stdout, { status: 'stopped' });
  else writeLine(io.stdout, 'leadsync: stopped (in-flight work finished).');
  return EXIT.ok;
}

/**
 * The `--url` the banner's example commands need: none when the service listens on the
 * config's `service.port` (where `send` and `demo` look by default), else the port it
 * does listen on (`--port`, or port 0's pick), so the printed commands reach it as given.
 */
function urlOption(config: LoadedConfig, listeningUrl: string): string {
  const port = Number(new URL(listeningUrl).port || '80');
  return port === config.document.service.port ? '' : ` --url ${serviceUrl(config.document.service.host, port)}`;
}
