import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mappingConfig } from '../../../src/config/config-schema.js';
import { renderMappingYaml } from '../../../src/config/mapping-yaml-renderer.js';
import type { MappingInput } from '../../../src/config/presets/preset-types.js';
import { SOURCE_PRESETS } from '../../../src/config/presets/source-presets.js';
import { parseYamlSource } from '../../../src/config/yaml-source.js';

/** The mapping `name` as the config loader reads it back from rendered YAML. */
function readBack(yaml: string, name: string): unknown {
  const data = parseYamlSource('rendered.yaml', yaml).data as { mappings: Record<string, unknown> };
  expect(Object.keys(data.mappings)).toEqual([name]);
  return data.mappings[name];
}

function preset(name: string): MappingInput {
  const found = SOURCE_PRESETS[name];
  if (found === undefined) throw new Error(`no preset ${name}`);
  return found;
}

describe('renderMappingYaml', () => {
  it.each(Object.keys(SOURCE_PRESETS))('%s reads back as the same mapping, before and after defaults', (name) => {
    const yaml = renderMappingYaml(name, preset(name));
    const back = readBack(yaml, name);
    expect(back).toEqual(JSON.parse(JSON.stringify(preset(name))));
    expect(mappingConfig.parse(back)).toEqual(mappingConfig.parse(preset(name)));
  });

  it('writes a field on one line, and a field with a picklist map as a block with one synonym per line', () => {
    const yaml = renderMappingYaml('webform', preset('webform'));
    expect(yaml).toContain('\n          - { to: email, from: email, normalize: email }\n');
    expect(yaml).toContain('\n          - to: lead_source\n            from: [ lead_source, form ]\n            values:\n              demo request: demo_request\n');
    expect(yaml).toContain('\n      leadId: [ lead_id, email ]\n');
  });

  it('puts the comment first, each line as a YAML comment', () => {
    const yaml = renderMappingYaml('m', preset('segment'), { comment: ' first line\n second line' });
    expect(yaml.startsWith('# first line\n# second line\n')).toBe(true);
    expect(readBack(yaml, 'm')).toEqual(JSON.parse(JSON.stringify(preset('segment'))));
  });

  it('round-trips any synonym, option, path and default, however YAML-like (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', '1', '0', ' ', '-', ':', '#', '"', "'", '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '%', '@', '`', '.', 'é', '\\', '\t', '<', 'y', 'e', 's', 'n', 'o', '~'), minLength: 1, maxLength: 12 });
    const trueLike = fc.constantFrom('<<', 'yes', 'no', 'true', 'False', 'null', '~', '1e3', '0x1F', '.inf', '012', '1_000', '2026-11-27', '');
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(text, trueLike), fc.oneof(text, trueLike), { minKeys: 1, maxKeys: 6 }), fc.oneof(text, trueLike), fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null)), (values, path, fallback) => {
        const mapping: MappingInput = {
          version: 3,
          description: `${path} description`,
          identity: { leadId: [path || 'id'], updatedAt: 'updated_at' },
          objects: { contacts: { match: 'email', fields: [{ to: 'email', from: path || 'email' }, { to: 'picked', from: [path || 'a', 'b'], values, default: fallback }, { to: 'plain', default: fallback }] } },
        };
        expect(readBack(renderMappingYaml('fuzz', mapping), 'fuzz')).toEqual(JSON.parse(JSON.stringify(mapping)));
      }),
      { numRuns: 300 },
    );
  });
});
