/**
 * A total, deterministic text key for any value, used only to order plan
 * entries and to break ties. Unlike `canonicalJson` it never throws (rejected
 * values may be anything a source sent) and tells types apart ("1" vs 1).
 */
export function planValueKey(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(planValueKey).join(',')}]`;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return `${typeof value}:${String(value)}`;
    case 'object': {
      const record = value as Record<string, unknown>;
      const members = Object.keys(record)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${planValueKey(record[key])}`);
      return `{${members.join(',')}}`;
    }
    default:
      return typeof value;
  }
}
