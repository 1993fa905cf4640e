import { spawn, spawnSync } from 'node:child_process';

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `leadsync` bin as a user would (npm test builds first). */
export function runCli(args: readonly string[], input?: string): CliRun {
  const result = spawnSync(process.execPath, ['bin/leadsync.js', ...args], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `runCli` without blocking the test's event loop, for commands that talk to a
 * service the test runs in-process (`send`, `demo`). `env` is added to the test's own.
 */
export function runCliAsync(args: readonly string[], options: { readonly env?: Readonly<Record<string, string>>; readonly input?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/leadsync.js', ...args], { env: { ...process.env, NO_COLOR: '1', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
