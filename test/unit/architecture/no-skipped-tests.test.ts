import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The definition of done: a skipped assertion is a defect, and a test that needs a service fails, not
// skips, when it is missing. So no test file skips, focuses or leaves a test to do, in any form vitest has.
// (vitest.config.ts also refuses `.only` when CI is set; this covers the skips, which vitest always allows.)

const THIS_FILE = join('test', 'unit', 'architecture', 'no-skipped-tests.test.ts');

function testSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : testSources(path);
    return path.endsWith('.ts') && path !== THIS_FILE ? [path] : [];
  });
}

const SKIPS: readonly RegExp[] = [
  /\b(?:it|test|describe|suite|bench)\.(?:skip|only|todo|fails|skipIf|runIf)\b/,
  /\b(?:it|test|describe)\.each\b[^\n]*\.(?:skip|only)\b/,
  /\b(?:ctx|context|task)\.skip\(/,
  /[{,]\s*(?:skip|only|todo)\s*:\s*(?:true|!|process\.env)/,
];

describe('no skipped or focused tests', () => {
  const files = testSources('test');

  it('finds the test sources', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('no test file skips, focuses or defers a test', () => {
    const offenders = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (SKIPS.some((pattern) => pattern.test(line)) ? [`${relative('.', file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });
});
