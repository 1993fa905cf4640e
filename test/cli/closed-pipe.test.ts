import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// `leadsync … | head`: the reader closes the pipe early. The command must end quietly
// (exit 0, nothing on stderr), not crash with an unhandled EPIPE 'error' event.
describe('stdout closed by its reader', () => {
  it('ends the command quietly when the pipe closes mid-output', async () => {
    const child = spawn(process.execPath, ['bin/leadsync.js', 'normalize', 'title', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let firstOutput = false;
    child.stdout.once('data', () => {
      firstOutput = true;
      child.stdout.destroy();
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(Array.from({ length: 50_000 }, (_, i) => `VP of Marketing ${i}`).join('\n'));
    const code = await new Promise<number | null>((resolve) => child.on('close', (exitCode) => resolve(exitCode)));
    expect(firstOutput).toBe(true);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);
});
