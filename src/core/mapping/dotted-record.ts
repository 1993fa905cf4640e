import { parsePath, type PathSegment } from './payload-path.js';

/**
 * Flat rows (a CSV file) as nested payloads: each column header is a payload
 * path in the grammar mappings use (`traits.email`, `emails[0].address`), so a
 * CSV export and a JSON delivery of the same lead map alike. Values are kept
 * as the strings they were; the mapping's normalizers and the CRM schema
 * coerce them, exactly as they would coerce a string in JSON.
 */
export type RowShape = { readonly ok: true; readonly paths: readonly (readonly PathSegment[])[] } | { readonly ok: false; readonly message: string };

interface ShapeNode {
  leaf: boolean;
  /** `index` when the children are array positions, `key` when object keys. */
  childKind?: 'index' | 'key';
  readonly children: Map<PathSegment, ShapeNode>;
}

/**
 * Checks a header row once per file: every header a valid path, none repeated,
 * none both a value and a container (`traits` next to `traits.email`), no
 * container both a list and an object (`a[0]` next to `a.b`).
 */
export function compileRowShape(headers: readonly string[]): RowShape {
  const root: ShapeNode = { leaf: false, children: new Map() };
  const paths: (readonly PathSegment[])[] = [];
  for (const [index, header] of headers.entries()) {
    const name = header.trim();
    if (name === '') return { ok: false, message: `column ${index + 1} has an empty header` };
    let segments: readonly PathSegment[];
    try {
      segments = parsePath(name);
    } catch (error) {
      return { ok: false, message: `column ${index + 1} header "${name}" is not a payload path: ${(error as Error).message}` };
    }
    if (typeof segments[0] === 'number') return { ok: false, message: `column ${index + 1} header "${name}" must start with a key, not a list index` };
    let node = root;
    for (const [depth, segment] of segments.entries()) {
      const kind = typeof segment === 'number' ? 'index' : 'key';
      if (node.leaf) return { ok: false, message: `header "${name}" nests under a column that already holds a value` };
      if (node.childKind !== undefined && node.childKind !== kind) return { ok: false, message: `header "${name}" mixes list indexes and object keys under the same column` };
      node.childKind = kind;
      let child = node.children.get(segment);
      if (!child) {
        child = { leaf: false, children: new Map() };
        node.children.set(segment, child);
      }
      node = child;
      if (depth === segments.length - 1) {
        if (node.leaf) return { ok: false, message: `header "${name}" appears twice` };
        if (node.children.size > 0) return { ok: false, message: `header "${name}" is both a value and the parent of other columns` };
        node.leaf = true;
      }
    }
    paths.push(segments);
  }
  return { ok: true, paths };
}

/** One row as a payload object; `values[i]` lands at `paths[i]`. Missing trailing values are left out. */
export function nestRow(paths: readonly (readonly PathSegment[])[], values: readonly string[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [column, path] of paths.entries()) {
    const value = values[column];
    if (value === undefined) continue;
    let container: Record<string, unknown> | unknown[] = row;
    for (const [depth, segment] of path.entries()) {
      const last = depth === path.length - 1;
      const next = path[depth + 1];
      const existing = read(container, segment);
      if (last) {
        write(container, segment, value);
      } else if (existing !== null && typeof existing === 'object') {
        container = existing as Record<string, unknown> | unknown[];
      } else {
        const created: Record<string, unknown> | unknown[] = typeof next === 'number' ? [] : {};
        write(container, segment, created);
        container = created;
      }
    }
  }
  return row;
}

function read(container: Record<string, unknown> | unknown[], segment: PathSegment): unknown {
  if (Array.isArray(container)) return typeof segment === 'number' ? container[segment] : undefined;
  return Object.prototype.hasOwnProperty.call(container, segment) ? container[segment] : undefined;
}

function write(container: Record<string, unknown> | unknown[], segment: PathSegment, value: unknown): void {
  if (Array.isArray(container) && typeof segment === 'number') {
    // `emails[1]` without `emails[0]`: JSON has no holes, so the gap is null.
    while (container.length < segment) container.push(null);
    container[segment] = value;
    return;
  }
  // defineProperty, not assignment: a header named `__proto__` stays an ordinary key.
  Object.defineProperty(container, String(segment), { value, enumerable: true, writable: true, configurable: true });
}
