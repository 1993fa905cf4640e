import { describe, expect, it } from 'vitest';
import { validateField } from '../../../src/core/crm-schema/field-validator.js';
import { compileField } from '../../../src/core/crm-schema/compiled-schema.js';
import { MATCH_MEMO_SIZE } from '../../../src/core/crm-schema/picklist-index.js';
import { picklistKey } from '../../../src/core/crm-schema/picklist-key.js';
import { scoreKeys, suggestOptions } from '../../../src/core/crm-schema/picklist-suggestions.js';
import { channelsField, field, option, segmentField } from './schema-fixtures.js';

describe('picklistKey', () => {
  it.each([
    ['Enterprise', 'enterprise'],
    ['Mid-Market', 'mid market'],
    ['mid__market', 'mid market'],
    ['  Mid - _ Market  ', 'mid market'],
    ['Société Générale', 'societe generale'],
    ['ＦＵＬＬ　ＷＩＤＴＨ', 'full width'],
    ['C++', 'c++'],
    ['already plain', 'already plain'],
  ])('%o → %o', (input, expected) => {
    expect(picklistKey(input)).toBe(expected);
  });
});

describe('picklist fields', () => {
  it.each([
    ['enterprise', 'enterprise'],
    ['  enterprise ', 'enterprise'],
    ['ENTERPRISE', 'enterprise'],
    ['Enterprise', 'enterprise'],
    ['mid_market', 'mid_market'],
    ['Mid Market', 'mid_market'],
    ['mid-market', 'mid_market'],
    ['Small Business', 'smb'],
    ['small_business', 'smb'],
    ['SOCIÉTÉ GÉNÉRALE', 'societe_generale'],
    ['societe generale', 'societe_generale'],
    ['start up', 'startup'],
  ])('matches %o to the active option %o (value, then label; case/accents/separators ignored)', (input, expected) => {
    expect(validateField(segmentField, 'segment', input)).toEqual({ ok: true, value: expected });
  });

  it('refuses an unknown value with CRM_PICKLIST_MISMATCH and the nearest options', () => {
    expect(validateField(segmentField, 'segment', 'Enterprize')).toEqual({
      ok: false,
      code: 'CRM_PICKLIST_MISMATCH',
      message: 'Field "segment": the value is not an option of the picklist',
      suggestions: ['enterprise'],
    });
  });

  it.each([
    ['Enterprize', ['enterprise']],
    ['entreprise', ['enterprise']],
    ['midmarket', ['mid_market']],
    ['Software', ['computer_software']],
    ['small biz', ['smb']],
    ['zzzz', []],
  ])('suggests for %o: %o', (input, expected) => {
    const result = validateField(segmentField, 'segment', input);
    expect(result).toMatchObject({ ok: false, code: 'CRM_PICKLIST_MISMATCH', suggestions: expected });
  });

  it.each([['legacy_tier'], ['Legacy Tier'], ['legacy-tier']])('refuses %o, which names an inactive option, and says so', (input) => {
    const result = validateField(segmentField, 'segment', input);
    expect(result).toMatchObject({ ok: false, code: 'CRM_PICKLIST_MISMATCH', message: expect.stringContaining('inactive option "legacy_tier"') as unknown });
    if (!result.ok) expect(result.suggestions).not.toContain('legacy_tier');
  });

  it('never suggests an inactive option', () => {
    const result = validateField(segmentField, 'segment', 'legacy tierr');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.suggestions).not.toContain('legacy_tier');
  });

  it('stringifies numbers and booleans before matching', () => {
    const numeric = field('picklist', { options: [option('10', 'Ten'), option('true', 'Yes')] });
    expect(validateField(numeric, 'f', 10)).toEqual({ ok: true, value: '10' });
    expect(validateField(numeric, 'f', true)).toEqual({ ok: true, value: 'true' });
    expect(validateField(numeric, 'f', { value: '10' })).toMatchObject({ ok: false, code: 'CRM_TYPE_MISMATCH' });
  });

  it('an exact value wins over another option with the same key', () => {
    const clash = field('picklist', { options: [option('Closed Won', 'Won'), option('closed_won', 'Won (legacy import)')] });
    expect(validateField(clash, 'f', 'closed_won')).toEqual({ ok: true, value: 'closed_won' });
    expect(validateField(clash, 'f', 'CLOSED-WON')).toEqual({ ok: true, value: 'Closed Won' });
  });

  it('accepts any text when the CRM lists no options (externalOptions fields such as owners)', () => {
    expect(validateField(field('picklist', { options: [] }), 'hubspot_owner_id', ' 12345 ')).toEqual({ ok: true, value: '12345' });
    expect(validateField(field('picklist'), 'f', 'anything')).toEqual({ ok: true, value: 'anything' });
  });

  it('treats an option without `active` as active (the documented default)', () => {
    const loose = field('picklist', { options: [{ value: 'a', label: 'A' } as never] });
    expect(validateField(loose, 'f', 'a')).toEqual({ ok: true, value: 'a' });
  });
});

describe('multi-picklist fields', () => {
  it.each([
    [['email', 'phone'], ['email', 'phone']],
    ['email;phone', ['email', 'phone']],
    [' Email ; PHONE ;', ['email', 'phone']],
    ['phone;email', ['phone', 'email']],
    [['Email', 'email', 'EMAIL', 'phone', 'Email'], ['email', 'phone']],
    ['events', ['events']],
    [['events', '', ' '], ['events']],
  ])('%o → %o (split on ";", matched, deduped, order kept)', (input, expected) => {
    expect(validateField(channelsField, 'channels', input)).toEqual({ ok: true, value: expected });
  });

  it('refuses the whole value when one element matches nothing, naming the element', () => {
    expect(validateField(channelsField, 'channels', 'email;emial')).toEqual({
      ok: false,
      code: 'CRM_PICKLIST_MISMATCH',
      message: 'Field "channels": element 2 is not an option of the picklist',
      suggestions: ['email'],
    });
  });

  it('refuses an inactive element', () => {
    expect(validateField(channelsField, 'channels', ['email', 'Fax'])).toMatchObject({ ok: false, code: 'CRM_PICKLIST_MISMATCH', message: expect.stringContaining('inactive option "fax"') as unknown });
  });

  it('refuses a non-text element with CRM_TYPE_MISMATCH', () => {
    expect(validateField(channelsField, 'channels', ['email', { x: 1 }])).toMatchObject({ ok: false, code: 'CRM_TYPE_MISMATCH' });
  });
});

describe('suggestion scoring', () => {
  it('scores identical keys 1 and unrelated keys near 0', () => {
    expect(scoreKeys('enterprise', 'enterprise')).toBe(1);
    expect(scoreKeys('zzzz', 'enterprise')).toBeLessThan(0.1);
  });

  it('rewards a shared word and containment over edit distance alone', () => {
    expect(scoreKeys('software', 'computer software')).toBeGreaterThan(scoreKeys('software', 'hardware store'));
  });

  it('returns at most 3 options, best first, with ties in CRM order', () => {
    const candidates = ['tier a', 'tier b', 'tier c', 'tier d'].map((key) => ({ value: key.replace(' ', '_'), valueKey: key, labelKey: key }));
    expect(suggestOptions('tier x', candidates)).toEqual(['tier_a', 'tier_b', 'tier_c']);
    expect(suggestOptions('tier d!', candidates)).toEqual(['tier_d', 'tier_a', 'tier_b']);
  });

  it('bounds the work on a huge input', () => {
    const result = validateField(segmentField, 'segment', 'enterprize'.repeat(100_000));
    expect(result).toMatchObject({ ok: false, code: 'CRM_PICKLIST_MISMATCH' });
  });
});

describe('lookup memo', () => {
  it('gives the same answers from memory, and stays bounded', () => {
    const memoField = field('picklist', { options: [option('mid_market', 'Mid-Market'), option('enterprise', 'Enterprise')] });
    const first = validateField(memoField, 'f', 'Mid Market');
    const miss = validateField(memoField, 'f', 'Enterprize');
    for (let index = 0; index < MATCH_MEMO_SIZE * 2 + 3; index += 1) validateField(memoField, 'f', `noise ${index}`);
    expect(compileField(memoField).picklist.memo.size).toBeLessThanOrEqual(MATCH_MEMO_SIZE);
    expect(validateField(memoField, 'f', 'Mid Market')).toEqual(first);
    expect(validateField(memoField, 'f', 'Enterprize')).toEqual(miss);
    expect(validateField(memoField, 'f', 'Enterprize')).toEqual(miss);
  });
});
