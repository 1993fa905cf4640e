import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const FILE = 'docs/BENCHMARKS.md';
const HEADER = '# Benchmarks\n\nFigures measured on the project machine (2 cores, 24 GiB). Each section says the command that made it; `npm run bench` re-runs all of them and rewrites the sections in place.\n';

/** Replaces (or appends) one benchmark's section in docs/BENCHMARKS.md, leaving the others alone. */
export function writeBenchmarkSection(id: string, title: string, body: string): void {
  const text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER;
  const start = `<!-- bench:${id} -->`;
  const end = `<!-- /bench:${id} -->`;
  const section = `${start}\n## ${title}\n\nMeasured ${new Date().toISOString().slice(0, 10)}.\n\n${body}\n${end}`;
  const pattern = new RegExp(`${start}[\\s\\S]*?${end}`);
  writeFileSync(FILE, pattern.test(text) ? text.replace(pattern, section) : `${text.trimEnd()}\n\n${section}\n`);
}
