// Writes docs/errors.md from the error registry. A test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { renderErrorDocs } from '../src/core/errors/error-docs.js';

writeFileSync('docs/errors.md', renderErrorDocs());
console.log('wrote docs/errors.md');
