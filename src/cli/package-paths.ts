import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Files the package ships (`files` in package.json), resolved from this module, not the working
// directory, so `npx leadsync …` finds them from anywhere (dist/cli and src/cli are both two levels down).
const PACKAGE_ROOT = new URL('../../', import.meta.url);

/** The config `leadsync demo` uses without --config: the package's examples/leadsync.yaml, the one `npm start` serves. */
export const DEMO_CONFIG = fileURLToPath(new URL('examples/leadsync.yaml', PACKAGE_ROOT));

/** The preset fixtures: what `leadsync demo` posts, and the serve banner's first `send`. */
export const FIXTURES_DIR = fileURLToPath(new URL('test/fixtures/', PACKAGE_ROOT));

let version: string | undefined;

/** The installed leadsync's version, from its package.json: `leadsync --version` and what `presets show` stamps. */
export function packageVersion(): string {
  if (version === undefined) {
    const manifest = JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version?: unknown };
    version = typeof manifest.version === 'string' ? manifest.version : 'unknown';
  }
  return version;
}
