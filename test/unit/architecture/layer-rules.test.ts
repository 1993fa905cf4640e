import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layer rules of docs/architecture.md, checked over every import in src/.
// ESLint enforces the core rules as you type; this test covers every layer in one place.

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map((match) => match[1] ?? '');
}

const files = sourceFiles('src');
const layerOf = (file: string): string[] => relative('src', file).split(sep);

describe('layer rules', () => {
  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('src/core imports nothing outside src/core, and no I/O modules', () => {
    const offenders: string[] = [];
    for (const file of files.filter((f) => layerOf(f)[0] === 'core')) {
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.')) {
          const target = relative('src', resolve(dirname(file), spec));
          if (!target.startsWith(`core${sep}`)) offenders.push(`${file} -> ${spec}`);
        } else if (spec.startsWith('node:') && spec !== 'node:crypto') {
          offenders.push(`${file} -> ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('adapters never import each other, nor app/server/cli', () => {
    const offenders: string[] = [];
    for (const file of files.filter((f) => layerOf(f)[0] === 'adapters')) {
      const own = layerOf(file)[1];
      for (const spec of importsOf(file).filter((s) => s.startsWith('.'))) {
        const target = relative('src', resolve(dirname(file), spec)).split(sep);
        if (target[0] === 'adapters' && target[1] !== own) offenders.push(`${file} -> ${spec}`);
        if (target[0] === 'app' || target[0] === 'server' || target[0] === 'cli') offenders.push(`${file} -> ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  // src/adapter-support/ holds code several adapters share (e.g. reading migration files) without being an
  // adapter itself: any adapter may import it, so it must not import an adapter back.
  it('src/adapter-support imports no adapters, nor app/server/cli', () => {
    const supportFiles = files.filter((f) => layerOf(f)[0] === 'adapter-support');
    expect(supportFiles.length).toBeGreaterThan(0);
    const offenders: string[] = [];
    for (const file of supportFiles) {
      for (const spec of importsOf(file).filter((s) => s.startsWith('.'))) {
        const target = relative('src', resolve(dirname(file), spec)).split(sep);
        if (['adapters', 'app', 'server', 'cli'].includes(target[0] ?? '')) offenders.push(`${file} -> ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('ports and app import no adapters', () => {
    const offenders: string[] = [];
    for (const file of files.filter((f) => ['ports', 'app'].includes(layerOf(f)[0] ?? ''))) {
      for (const spec of importsOf(file).filter((s) => s.startsWith('.'))) {
        const target = relative('src', resolve(dirname(file), spec)).split(sep);
        if (['adapters', 'adapter-support', 'server', 'cli'].includes(target[0] ?? '')) offenders.push(`${file} -> ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
