import type { CrmFieldSchema, CrmObjectSchema, CrmSchema, FieldType, PicklistOption } from '../../../src/core/crm-schema/crm-schema-types.js';

/** A writable, optional field of the given type; `extra` overrides any member. */
export function field(type: FieldType, extra: Partial<CrmFieldSchema> = {}): CrmFieldSchema {
  return { name: 'f', label: 'F', type, required: false, readOnly: false, unique: false, ...extra };
}

export function option(value: string, label: string, active = true): PicklistOption {
  return { value, label, active };
}

export const SEGMENT_OPTIONS: readonly PicklistOption[] = [
  option('enterprise', 'Enterprise'),
  option('mid_market', 'Mid-Market'),
  option('smb', 'Small Business'),
  option('computer_software', 'Computer Software'),
  option('societe_generale', 'Société Générale'),
  option('legacy_tier', 'Legacy Tier', false),
  option('startup', 'Start-up'),
];

export const segmentField = field('picklist', { name: 'segment', label: 'Segment', options: SEGMENT_OPTIONS });
export const channelsField = field('multi_picklist', {
  name: 'channels',
  label: 'Channels',
  options: [option('email', 'Email'), option('phone', 'Phone'), option('events', 'Events'), option('fax', 'Fax', false)],
});

export const contactObject: CrmObjectSchema = {
  name: 'contacts',
  label: 'Contacts',
  fields: {
    email: field('email', { name: 'email', label: 'Email', required: true, unique: true }),
    lastname: field('string', { name: 'lastname', label: 'Last name', required: true, maxLength: 80 }),
    company: field('string', { name: 'company', label: 'Company', maxLength: 255 }),
    employees: field('number', { name: 'employees', label: 'Employees' }),
    segment: segmentField,
    channels: channelsField,
    hs_object_id: field('string', { name: 'hs_object_id', label: 'Record id', required: true, readOnly: true }),
    createdate: field('datetime', { name: 'createdate', label: 'Created', readOnly: true }),
    constructor: field('string', { name: 'constructor', label: 'A field named like a prototype member' }),
  },
};

export const crmSchema: CrmSchema = { version: '2026-11-01', objects: { contacts: contactObject } };
