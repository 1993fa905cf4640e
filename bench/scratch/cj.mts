import { canonicalJson } from '../../src/core/hashing/canonical-json.js';
import { sha256Hex } from '../../src/core/hashing/sha256.js';
import { benchPayload } from '../pipeline-benchmark.js';

function fast(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${String(value)}`);
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i += 1) {
          const item: unknown = value[i];
          if (i > 0) out += ',';
          out += item === undefined ? 'null' : fast(item);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        out += first ? JSON.stringify(key) : `,${JSON.stringify(key)}`;
        out += `:${fast(item)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
  }
}
const body = { id: '123', time: new Date().toISOString(), leadKey: 'contacts:lead1@bench-company-3.com', source: 'webform', eventId: '55', idempotencyKey: '7:webform|25:lead0@bench-0.example.com|24:2026-11-20T14:03:11.000Z', payloadHash: 'a'.repeat(64), mappingVersion: 'preset:webform@1', schemaVersion: '2026-11-01', object: 'contacts',
  changes: Array.from({ length: 13 }, (_, i) => ({ field: `field${i}`, before: null, after: `value ${i}`, confidence: 0.9, reason: `webform: field_${i} (x.y)` })), actor: { kind: 'source', name: 'webform' }, outcome: 'written', attempt: 1, errorCode: null, errorTrace: null, crmRecordId: '77', prevHash: 'b'.repeat(64) };
const payloads = Array.from({ length: 1000 }, (_, i) => benchPayload(i));
for (const v of [body, ...payloads.slice(0, 20), [1, -0, 'x', null, undefined, { b: 1, a: [true] }], { z: undefined, 'é': 1, 'Z': 2, '\u2028': 'x' }]) if (fast(v) !== canonicalJson(v)) throw new Error('mismatch ' + canonicalJson(v));
function time(label: string, f: () => void, n: number): void { for (let i = 0; i < 2000; i += 1) f(); const t = performance.now(); for (let i = 0; i < n; i += 1) f(); console.log(label.padEnd(30), ((performance.now() - t) * 1000 / n).toFixed(2), 'µs'); }
for (let r = 0; r < 2; r += 1) {
time('old body', () => canonicalJson(body), 20000);
time('fast body', () => fast(body), 20000);
time('old payload', () => canonicalJson(payloads[7]), 20000);
time('fast payload', () => fast(payloads[7]), 20000);
time('sha256 1KB', () => sha256Hex(fast(body)), 20000);
time('JSON.stringify body', () => JSON.stringify(body), 20000);
}
