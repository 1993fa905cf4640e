import { Document, isMap, isScalar, isSeq, Scalar, visit, type YAMLMap } from 'yaml';
import type { MappingInput } from './presets/preset-types.js';

/**
 * Renders a mapping as a `mappings:` block of leadsync.yaml, in the layout of
 * examples/webform-v2-mapping.yaml: one line per field, except fields with a
 * picklist `values` map, which are written as blocks with one synonym per line
 * so that adding one is adding a line. The config loader reads the result back
 * into exactly the same mapping (test/unit/config/mapping-yaml-renderer.test.ts).
 */
export function renderMappingYaml(name: string, mapping: MappingInput, options: { readonly comment?: string } = {}): string {
  const document = new Document({ mappings: { [name]: mapping } });
  // The loader reads a plain `<<` key as a merge key (yaml-source.ts); a quoted one is a string.
  visit(document, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === '<<') pair.key.type = Scalar.QUOTE_DOUBLE;
    },
  });
  const identity = document.getIn(['mappings', name, 'identity'], true);
  if (isMap(identity)) {
    for (const pair of identity.items) if (isSeq(pair.value)) pair.value.flow = true;
  }
  for (const objectName of Object.keys(mapping.objects)) {
    const fields = document.getIn(['mappings', name, 'objects', objectName, 'fields'], true);
    if (!isSeq(fields)) continue;
    for (const field of fields.items) if (isMap(field)) layoutField(field);
  }
  if (options.comment !== undefined) document.commentBefore = options.comment;
  // lineWidth 0: never fold a long description or flow line; a field stays on one line.
  return document.toString({ lineWidth: 0, flowCollectionPadding: true });
}

function layoutField(field: YAMLMap): void {
  if (!field.has('values')) {
    field.flow = true;
    return;
  }
  for (const pair of field.items) {
    // `values` stays a block map; `from` lists and confidence objects fit on their key's line.
    const isValues = isScalar(pair.key) && pair.key.value === 'values';
    if (isSeq(pair.value) || (isMap(pair.value) && !isValues)) pair.value.flow = true;
  }
}
