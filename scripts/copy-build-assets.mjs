// Copies non-TypeScript files the compiled code reads at run time (SQL migrations) from src/ to dist/.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (name.endsWith('.sql')) cpSync(path, join('dist', path.slice('src/'.length)));
  }
}

copyAssets('src');
