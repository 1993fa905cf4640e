// Empties dist/ before a build, so a file renamed or removed in src/ (a migration, a module) does not
// linger in dist/ and get loaded by the built service.
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
