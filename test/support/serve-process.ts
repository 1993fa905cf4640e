import { spawn, type ChildProcess } from 'node:child_process';

export interface ServeProcess {
  readonly process: ChildProcess;
  readonly url: string;
  /** Everything it printed so far (stdout and stderr), e.g. the first start's admin token. */
  output(): string;
}

/**
 * Starts the built `leadsync serve` as its own process on a free port and
 * resolves once it prints where it listens; rejects if it exits before that.
 * Used by tests and benchmarks that need a real, killable service.
 */
export function startServeProcess(configFile: string, extraArgs: readonly string[] = []): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['bin/leadsync.js', 'serve', '--config', configFile, '--port', '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve({ process: proc, url: match[1], output: () => output });
    });
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.on('exit', (code, signal) => {
      if (!/listening on/.test(output)) reject(new Error(`serve exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

/**
 * Starts the built `leadsync worker` as its own process and resolves once it
 * says it runs; rejects with what it printed if it exits before that.
 */
export function startWorkerProcess(configFile: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['bin/leadsync.js', 'worker', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let running = false;
    proc.stdout.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (!running && output.includes('leadsync worker running')) {
        running = true;
        resolve(proc);
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    proc.on('exit', (code, signal) => {
      if (!running) reject(new Error(`worker exited (${code ?? signal}) before running:\n${output}`));
    });
  });
}
