import { spawnSync } from 'node:child_process';

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
