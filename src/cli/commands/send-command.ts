import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { LoadedConfig } from '../../config/config-loader.js';
import { LeadsyncApiClient } from '../../server/leadsync-api-client.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { serviceAddress, unreachableError } from '../service-address.js';
import { UsageError } from '../usage-error.js';

export interface SendOptions {
  readonly source: string;
  readonly url?: string;
  readonly json?: boolean;
  /** Sign and show the request; send nothing. (Default: false) */
  readonly dryRun?: boolean;
}

/** Registers `leadsync send`. */
export function registerSendCommand(program: Command, context: CommandContext): void {
  program
    .command('send')
    .description('Sign a payload as the source\'s provider would and post it to a running service (to test a setup).')
    .argument('<payload>', 'payload JSON file, or "-" for stdin; sent byte for byte')
    .requiredOption('--config <file>', 'leadsync.yaml (the source\'s signature scheme and first secret)')
    .requiredOption('--source <name>', 'source to post as: POST <url>/v1/events/<source>')
    .option('--url <url>', 'the service (default: http://<service.host>:<service.port> of the config)')
    .option('--dry-run', 'sign the payload and show the request (URL, headers, size); send nothing')
    .option('--json', 'print only the response JSON')
    .action(async (payload: string, options: SendOptions & { config: string }) => {
      context.setExitCode(await sendCommand(await context.load(options.config), payload, options, context.io));
    });
}

/**
 * `leadsync send --config F --source S [--url U] [--json] <payload.json|->`:
 * signs the payload exactly as the source's provider would and posts it to a
 * running service. Exit 0 on 2xx (202 queued, 200 duplicate), 1 on any other
 * status, 2 on usage errors or when nothing answers.
 */
export async function sendCommand(config: LoadedConfig, payloadFile: string, options: SendOptions, io: CliIo): Promise<ExitCode> {
  const source = config.sources.get(options.source);
  if (!source) throw new UsageError(`no source "${options.source}" in ${config.file} (sources: ${[...config.sources.keys()].join(', ')})`);
  const body = payloadFile === '-' ? await readStdinBytes(io) : await readBytes(payloadFile);
  try {
    JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new UsageError(`${payloadFile === '-' ? 'stdin' : payloadFile} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }

  const api = new LeadsyncApiClient(serviceAddress(config, options.url));
  if (options.dryRun === true) {
    const request = api.signEvent(source.name, source.config.signature, body);
    const preview = { dryRun: true, method: 'POST', url: request.url, signature: source.config.signature.scheme, headers: request.headers, bodyBytes: body.length };
    if (options.json) writeJson(io.stdout, preview, true);
    else {
      writeLine(io.stdout, `Dry run — nothing was sent. POST ${request.url} (${source.config.signature.scheme} signature, ${body.length} bytes) with headers:`);
      for (const [name, value] of Object.entries(request.headers)) writeLine(io.stdout, `  ${name}: ${value}`);
    }
    return EXIT.ok;
  }
  const response = await api.postEvent(source.name, source.config.signature, body);
  if (response.kind === 'unreachable') throw unreachableError(response);
  const ok = response.status >= 200 && response.status < 300;
  if (options.json) {
    writeJson(io.stdout, response.body, true);
  } else {
    writeLine(io.stdout, `HTTP ${response.status} from POST ${api.baseUrl}/v1/events/${source.name} (${source.config.signature.scheme} signature)`);
    writeJson(io.stdout, response.body, true);
  }
  if (!ok) writeLine(io.stderr, describeFailure(response));
  return ok ? EXIT.ok : EXIT.failed;
}

function describeFailure(response: { readonly status: number; readonly body: unknown }): string {
  const body = response.body !== null && typeof response.body === 'object' ? (response.body as Record<string, unknown>) : {};
  const code = typeof body['code'] === 'string' ? body['code'] : `HTTP_${response.status}`;
  const message = typeof body['message'] === 'string' ? `: ${body['message']}` : '';
  const fix = typeof body['fix'] === 'string' ? `\n  fix: ${body['fix']}` : '';
  return `leadsync send: ${code}${message}${fix}`;
}

async function readBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

/** Stdin as raw bytes: the signature covers exactly what is sent, so nothing is decoded and re-encoded. */
async function readStdinBytes(io: CliIo): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
