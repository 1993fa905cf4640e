import type { Readable, Writable } from 'node:stream';

/** Exit codes shared by every command (docs/cli.md). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Streams a command talks to; tests pass their own. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Ends the process once a command that could not run has said why. A service that failed half-way
   * through starting (its port taken after storage opened) may still hold threads that would keep
   * the process alive. (Default: none; the caller ends when it likes)
   */
  readonly exit?: (code: ExitCode) => void;
}

export function processIo(): CliIo {
  quietOnClosedPipe(process.stdout);
  // On Linux, stdout and stderr writes to files, pipes and terminals are synchronous: exiting loses nothing written.
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, exit: (code) => process.exit(code) };
}

const guarded = new WeakSet<Writable>();

/**
 * A reader that stops early (`leadsync dlq list | head`) closes the pipe: the next write fails
 * with EPIPE, emitted as an 'error' event that would otherwise crash the command with a stack
 * trace. Nobody is left to read the rest, so the command ends quietly, as Unix tools do.
 */
function quietOnClosedPipe(stream: Writable): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

export function writeLine(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}

export function writeJson(stream: Writable, value: unknown, pretty = false): void {
  stream.write(`${JSON.stringify(value, null, pretty ? 2 : undefined)}\n`);
}

/** Reads all of stdin as text. */
export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
