import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CrmSchema } from '../../../src/core/crm-schema/crm-schema-types.js';
import { validateField } from '../../../src/core/crm-schema/field-validator.js';
import { formatIsoTimestamp, parseIsoTimestamp } from '../../../src/core/crm-schema/iso-timestamp-codec.js';
import type { NormalizeFn } from '../../../src/core/mapping/lead-mapper.js';
import type { MappingTable } from '../../../src/core/mapping/mapping-types.js';
import { isEmptyValue, readPath } from '../../../src/core/mapping/payload-path.js';
import { parseSourceTimestamp } from '../../../src/core/mapping/source-timestamp.js';
import { planMerge } from '../../../src/core/merge/merge-planner.js';
import { defaultNormalizers } from '../../../src/core/normalize/normalizers.js';
import type { PlanContext } from '../../../src/core/plan/event-plan-types.js';
import { planEvent, prepareEvent } from '../../../src/core/plan/event-planner.js';
import { field } from '../crm-schema/schema-fixtures.js';

// The shortcuts taken on every field of every event (path reads shared between fields, blank
// checks without a regex, table-formatted timestamps, remembered low-confidence texts) must
// answer exactly what the plain versions did.

describe('payload paths', () => {
  it('never read a prototype member, and treat an own undefined as absent', () => {
    const payload = JSON.parse('{"a":{"own":"x","constructor":"mine","nothing":null},"list":[{"b":1}]}') as unknown;
    expect(readPath(payload, 'a.own')).toBe('x');
    expect(readPath(payload, 'a.constructor')).toBe('mine');
    expect(readPath(payload, 'a.toString')).toBeUndefined();
    expect(readPath(payload, 'a.__proto__')).toBeUndefined();
    expect(readPath(payload, 'a.hasOwnProperty.call')).toBeUndefined();
    expect(readPath(payload, 'a.nothing')).toBeNull();
    expect(readPath(payload, 'list[0].b')).toBe(1);
    expect(readPath(payload, 'list.length')).toBeUndefined();
    expect(readPath({ a: undefined }, 'a')).toBeUndefined();
    expect(readPath({ a: undefined }, 'a.b')).toBeUndefined();
    const inherited = Object.create({ title: 'from the prototype' }) as Record<string, unknown>;
    expect(readPath({ person: inherited }, 'person.title')).toBeUndefined();
  });

  it('count blank text as empty whatever its first character', () => {
    for (const text of ['', ' ', '\u00a0', '\u3000 ', '\ufeff', '\u2028\t']) expect(isEmptyValue(text)).toBe(true);
    for (const text of ['a', ' a', '\u00a0b', 'é', '~', '\u0000']) expect(isEmptyValue(text)).toBe(false);
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(' ', '\t', '\u00a0', '\u3000', 'a', '!', 'é', '\u007f', '\u0000') }), (text) => {
      expect(isEmptyValue(text)).toBe(text.trim() === '');
      expect(validateField(field('string'), 'f', text)).toEqual({ ok: true, value: /\S/.test(text) ? text : null });
    }));
  });
});

describe('mapping fields that share their source paths', () => {
  const schema: CrmSchema = {
    version: 'test',
    objects: {
      contacts: {
        name: 'contacts',
        fields: {
          email: { name: 'email', type: 'email', required: true, unique: true },
          jobtitle: { name: 'jobtitle', type: 'string', maxLength: 5 },
          job_function: { name: 'job_function', type: 'string' },
          seniority: { name: 'seniority', type: 'string' },
          country: { name: 'country', type: 'string' },
          phone: { name: 'phone', type: 'phone' },
        },
      },
    },
  } as unknown as CrmSchema;
  const fixed = { kind: 'fixed', value: 0.9 } as const;
  const table: MappingTable = {
    name: 'shared',
    version: 1,
    leadIdPaths: ['id'],
    updatedAtPaths: ['at'],
    objects: [
      {
        object: 'contacts',
        match: 'email',
        optional: false,
        fields: [
          { to: 'email', from: ['person.email', 'email'], normalize: 'email', confidence: fixed, truncate: false },
          { to: 'jobtitle', from: ['person.title', 'title'], confidence: fixed, truncate: true },
          { to: 'job_function', from: ['person.title', 'title'], normalize: 'title', pick: 'function', confidence: fixed, truncate: false },
          { to: 'seniority', from: ['person.title', 'title'], normalize: 'title', pick: 'seniority', confidence: fixed, truncate: false },
          { to: 'phone', from: ['phone'], normalize: 'phone', confidence: fixed, truncate: false },
          { to: 'country', from: ['country'], normalize: 'country', confidence: fixed, truncate: false },
        ],
      },
    ],
  };
  let calls = 0;
  const normalize: NormalizeFn = (kind, value, context) => {
    calls += 1;
    return defaultNormalizers.normalize(kind, value, context);
  };
  const context: PlanContext = { source: 'test', mapping: table, schema, normalize, policies: { default: { policy: 'overwrite' }, fields: {} } };

  it('reads each list once and gives every field the value of its first non-empty path', () => {
    calls = 0;
    const payload = { id: 7, at: '2026-11-27T10:00:00Z', email: ' Ann@Example.com ', person: { title: '  ' }, title: 'VP of Sales', phone: '030 1234567', country: 'Deutschland' };
    const prepared = prepareEvent(payload, context);
    const plan = planEvent(prepared, new Map(), context);
    const [object] = plan.objects;
    expect(object?.status).toBe('planned');
    if (object?.status !== 'planned') return;
    expect(object.match).toEqual({ field: 'email', value: 'ann@example.com' });
    expect(object.write).toEqual({ country: 'DE', job_function: 'sales', jobtitle: 'VP of', phone: '+49301234567', seniority: 'vp' });
    expect(object.fields.map((entry) => (entry.kind === 'change' ? entry.reason : entry.kind))).toEqual([
      'test: country (country.country)',
      'test: title (title.function)',
      'test: title',
      'test: phone (phone.e164)',
      'test: title (title.seniority)',
    ]);
    // Email; country for the phone's context, then as a field (with that context); title once for both picks; phone.
    expect(calls).toBe(5);
  });

  it('gives the same plan for the same payload whatever came before it', () => {
    const first = { id: 'a', at: 1_700_000_000, person: { email: 'b@example.org', title: 'CTO' }, country: 'FR' };
    const second = { id: 'b', at: 1_700_000_001, email: 'c@example.org', title: 'Head of Marketing' };
    const once = JSON.stringify(planEvent(prepareEvent(second, context), new Map(), context));
    prepareEvent(first, context);
    expect(JSON.stringify(planEvent(prepareEvent(second, context), new Map(), context))).toBe(once);
  });
});

describe('timestamps and plan texts', () => {
  it('reads source timestamps already in the output form as formatting them again would', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const text = fc
      .tuple(fc.constantFrom('0000', '0001', '0099', '1970', '2024', '2026', '9999'), two(13), two(32), fc.constantFrom('T', 't', ' '), two(25), two(61), two(61), fc.integer({ min: 0, max: 999 }), fc.constantFrom('Z', 'z', '+'))
      .map(([year, month, day, separator, hour, minute, second, millis, zone]) => `${year}-${month}-${day}${separator}${hour}:${minute}:${second}.${String(millis).padStart(3, '0')}${zone}`);
    fc.assert(fc.property(text, (value) => {
      const parsed = parseIsoTimestamp(value.endsWith('+') ? `${value}00` : value);
      expect(parseSourceTimestamp(value.endsWith('+') ? `${value}00` : value)).toBe(parsed.ok ? formatIsoTimestamp(parsed.epochMs) : null);
    }), { numRuns: 3000 });
    expect(parseSourceTimestamp('2026-11-18T07:12:44.000Z')).toBe('2026-11-18T07:12:44.000Z');
    expect(parseSourceTimestamp('2026-02-29T07:12:44.000Z')).toBeNull();
  });

  it('formats every part as Date#toISOString does', () => {
    fc.assert(fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), (epochMs) => {
      expect(formatIsoTimestamp(epochMs)).toBe(new Date(epochMs).toISOString());
    }), { numRuns: 2000 });
  });

  it('words low-confidence skips the same way however many confidences it has seen', () => {
    const policy = { policy: 'higher_confidence', minConfidence: 0.6 } as const;
    for (let step = 0; step < 1500; step += 1) {
      const confidence = step / 2500;
      const held = 0.6 + (step % 7) / 10;
      const [below] = planMerge({
        proposals: [{ field: 'f', value: 'x', confidence, sourceUpdatedAt: '2026-01-01T00:00:00.000Z', source: 's', reason: 'r' }],
        current: null,
        policies: { f: policy },
        defaultPolicy: policy,
      });
      expect(below).toMatchObject({ kind: 'skip', skip: 'low_confidence', detail: `confidence ${confidence} is below the minimum 0.6` });
      const [beaten] = planMerge({
        proposals: [{ field: 'f', value: 'x', confidence: 0.6 + confidence / 10, sourceUpdatedAt: '2026-01-01T00:00:00.000Z', source: 's', reason: 'r' }],
        current: { fields: { f: { value: 'y', confidence: held } } },
        policies: { f: policy },
        defaultPolicy: policy,
      });
      const expected = 0.6 + confidence / 10 > held ? { kind: 'change' } : { kind: 'skip', detail: `confidence ${0.6 + confidence / 10} does not beat the current ${held}` };
      expect(beaten).toMatchObject(expected);
    }
  });
});
