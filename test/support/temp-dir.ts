import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished, type TestContext } from 'vitest';

/** A new, empty directory under the OS temp directory, named `<prefix><random>`; the caller removes it ({@link removeTempDir}). */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a temp directory and everything in it; one already gone is fine. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A new temp directory removed when the current test finishes, pass or fail (after any `onTestFinished` hook registered later). */
export function tempDirForThisTest(prefix: string): string {
  const dir = makeTempDir(prefix);
  onTestFinished(() => removeTempDir(dir));
  return dir;
}

/**
 * For a test's finished hook: removes `dir` when the test passed; when it failed, keeps it to look at
 * (STYLE.md) and says so on stderr, naming `kept` (Default: `dir`), e.g. the database file inside it.
 */
export function removeTempDirUnlessFailed(context: Pick<TestContext, 'task'>, dir: string, kept: string = dir): void {
  if (context.task.result?.state === 'fail') console.error(`kept the database of failed test "${context.task.name}": ${kept}`);
  else removeTempDir(dir);
}
