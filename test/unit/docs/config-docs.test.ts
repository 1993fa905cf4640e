import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchemas } from '../../../src/config/config-json-schema.js';

// docs/config.md is written by hand; this keeps it from falling behind the config schema
// mechanically: every key, every allowed value of a closed set and every scalar default
// of leadsync.yaml must appear in it. Whether the prose is right is still a reader's job.

type JsonSchema = { readonly [key: string]: unknown };

interface ConfigKey {
  /** Dot path with `<name>` for record keys and `[]` for list items, e.g. `sources.<name>.signature.header`. */
  readonly path: string;
  readonly name: string;
  readonly default: unknown;
  readonly values: readonly unknown[];
}

const root = configJsonSchemas()['leadsync.schema.json'] as JsonSchema;
const definitions = (root['$defs'] ?? {}) as Record<string, JsonSchema>;

function resolved(schema: JsonSchema): JsonSchema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string') return schema;
  const target = definitions[ref.split('/').at(-1) ?? ''];
  if (target === undefined) throw new Error(`unresolved ${ref}`);
  return resolved(target);
}

/** Every key of leadsync.yaml, walking properties, records, lists and unions of the JSON Schema. */
function configKeys(): ConfigKey[] {
  const keys = new Map<string, ConfigKey>();
  const walk = (node: JsonSchema, path: string, depth: number): void => {
    const schema = resolved(node);
    if (depth > 12) return;
    for (const union of ['anyOf', 'oneOf', 'allOf']) for (const member of (schema[union] ?? []) as JsonSchema[]) walk(member, path, depth + 1);
    for (const [name, child] of Object.entries((schema['properties'] ?? {}) as Record<string, JsonSchema>)) {
      const childPath = path === '' ? name : `${path}.${name}`;
      const value = resolved(child);
      const previous = keys.get(childPath);
      keys.set(childPath, { path: childPath, name, default: value['default'] ?? previous?.default, values: [...(previous?.values ?? []), ...((value['enum'] ?? []) as unknown[]), ...(value['const'] === undefined ? [] : [value['const']])] });
      walk(child, childPath, depth + 1);
    }
    const record = schema['additionalProperties'];
    if (typeof record === 'object' && record !== null) walk(record as JsonSchema, `${path}.<name>`, depth + 1);
    const items = schema['items'];
    if (typeof items === 'object' && items !== null) walk(items as JsonSchema, `${path}[]`, depth + 1);
  };
  walk(root, '', 0);
  // `$schema` is the editor's line, not leadsync's.
  keys.delete('$schema');
  return [...keys.values()];
}

const docs = readFileSync('docs/config.md', 'utf8');
const keys = configKeys();

/**
 * A key is documented when its name appears as code (`key`, `a.key`, `key.child`), as a YAML key
 * (`key:`) in an example, or inside a flow mapping (`{kind: webhook, url, secret}`).
 */
function documented(name: string): boolean {
  return (
    docs.includes(`\`${name}\``) ||
    docs.includes(`.${name}\``) ||
    docs.includes(`\`${name}.`) ||
    new RegExp(`^\\s*(?:- )?${name}:`, 'm').test(docs) ||
    new RegExp(`[{,]\\s*${name}\\s*[:,}]`).test(docs)
  );
}

describe('docs/config.md covers the config schema', () => {
  it('finds the keys (the walk itself works)', () => {
    expect(keys.map((key) => key.path)).toEqual(expect.arrayContaining(['service.port', 'sources.<name>.signature.header', 'mappings.<name>.objects.<name>.fields[].truncate', 'alerts[].kind']));
  });

  it('names every key', () => {
    expect(keys.filter((key) => !documented(key.name)).map((key) => key.path)).toEqual([]);
  });

  it('names every allowed value of a closed set', () => {
    const missing = keys.flatMap((key) => key.values.filter((value) => typeof value === 'string' && !docs.includes(value)).map((value) => `${key.path}: ${String(value)}`));
    expect(missing).toEqual([]);
  });

  it('states every scalar default', () => {
    const missing = keys.filter((key) => ['string', 'number', 'boolean'].includes(typeof key.default) && !docs.includes(`${String(key.default)}`)).map((key) => `${key.path}: ${String(key.default)}`);
    expect(missing).toEqual([]);
  });
});
