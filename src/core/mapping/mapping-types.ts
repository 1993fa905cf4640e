import type { NormalizerKind } from '../normalize/normalizer-types.js';

/** Processing lanes (DESIGN.md "Lanes"). */
export const LANES = ['realtime', 'batch'] as const;
export type Lane = (typeof LANES)[number];

/** Where a field's confidence comes from. */
export type ConfidenceSource =
  | { readonly kind: 'fixed'; readonly value: number }
  | { readonly kind: 'path'; readonly path: string; readonly outOf: number; readonly fallback: number };

/** One CRM field fed from the payload. */
export interface FieldMapping {
  readonly to: string;
  /** Payload paths; the first that holds a value wins. Empty when only a default feeds the field. */
  readonly from: readonly string[];
  readonly normalize?: NormalizerKind;
  readonly pick?: string;
  /** Picklist map keyed by the folded synonym (see foldKey). */
  readonly values?: ReadonlyMap<string, string>;
  readonly confidence: ConfidenceSource;
  readonly default?: string | number | boolean | null;
  readonly truncate: boolean;
}

export interface ObjectMapping {
  readonly object: string;
  /** The unique CRM field the record is matched on (email, domain, …). */
  readonly match: string;
  /** Skip the object, rather than reject the event, when the payload gives no match value. */
  readonly optional: boolean;
  readonly fields: readonly FieldMapping[];
}

/** A versioned mapping table of one source, ready to run. */
export interface MappingTable {
  readonly name: string;
  readonly version: number;
  readonly leadIdPaths: readonly string[];
  readonly updatedAtPaths: readonly string[];
  readonly objects: readonly ObjectMapping[];
}
