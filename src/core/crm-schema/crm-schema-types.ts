/** Field types a CRM schema can declare; HubSpot and Salesforce types map onto these. */
export const FIELD_TYPES = [
  'string',
  'text',
  'number',
  'bool',
  'date',
  'datetime',
  'picklist',
  'multi_picklist',
  'email',
  'phone',
  'url',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface PicklistOption {
  readonly value: string;
  readonly label: string;
  /** Inactive options stay readable on old records but cannot be written. (Default: true) */
  readonly active: boolean;
}

export interface CrmFieldSchema {
  readonly name: string;
  readonly label: string;
  readonly type: FieldType;
  readonly required: boolean;
  readonly readOnly: boolean;
  readonly unique: boolean;
  /** Longest accepted string value in characters; absent means no limit. */
  readonly maxLength?: number;
  /** Options of a picklist or multi-picklist field, in CRM order. */
  readonly options?: readonly PicklistOption[];
  /**
   * Picklists only: whether the CRM refuses values outside `options`. False for
   * a Salesforce unrestricted picklist, which stores any text; such a value then
   * passes validation as sent, with a warning. HubSpot enumerations are
   * restricted. (Default: true)
   */
  readonly restricted?: boolean;
}

export interface CrmObjectSchema {
  readonly name: string;
  readonly label: string;
  readonly fields: Readonly<Record<string, CrmFieldSchema>>;
}

export interface CrmSchema {
  /** Schema version label, e.g. a pull time or a hand-written "2026-11-01". */
  readonly version: string;
  readonly objects: Readonly<Record<string, CrmObjectSchema>>;
}

/** A value as the core handles it before it is written; lists are for multi-picklists. */
export type FieldValue = string | number | boolean | readonly string[] | null;
