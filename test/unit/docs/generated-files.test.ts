import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchemas, renderJsonSchema } from '../../../src/config/config-json-schema.js';
import { ERROR_CODES } from '../../../src/core/errors/error-codes.js';
import { renderErrorDocs } from '../../../src/core/errors/error-docs.js';

describe('generated files are current', () => {
  it('docs/errors.md matches the error registry (run `npm run docs:errors`)', () => {
    expect(readFileSync('docs/errors.md', 'utf8')).toBe(renderErrorDocs());
  });

  it('every registered code appears in docs/errors.md', () => {
    const docs = readFileSync('docs/errors.md', 'utf8');
    for (const code of Object.keys(ERROR_CODES)) expect(docs).toContain(`\`${code}\``);
  });

  it.each(Object.entries(configJsonSchemas()))('schema/%s matches the config definition (run `npm run schema:generate`)', (file, schema) => {
    expect(readFileSync(`schema/${file}`, 'utf8')).toBe(renderJsonSchema(schema));
  });
});
