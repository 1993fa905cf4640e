/**
 * The parts of HubSpot CRM v3 bodies the adapter reads, and guards that check
 * them at runtime: a response is data from the network, not a promise kept.
 */

/** `StandardError` of a batch response, or the top-level `Error` envelope of a failed call. */
export interface HubSpotError {
  readonly category?: string;
  readonly message?: string;
  readonly context?: Readonly<Record<string, readonly string[]>>;
  readonly errors?: readonly { readonly message?: string; readonly code?: string; readonly in?: string; readonly context?: unknown }[];
  readonly policyName?: string;
}

/** A record in a batch read or batch upsert response. */
export interface HubSpotRecord {
  readonly id: string;
  readonly properties: Readonly<Record<string, string | null>>;
  readonly updatedAt?: string;
  readonly new?: boolean;
  readonly objectWriteTraceId?: string;
}

/** `BatchResponse…` and `BatchResponse…WithErrors` (200 and 207). */
export interface HubSpotBatchResponse {
  readonly results: readonly HubSpotRecord[];
  readonly errors: readonly HubSpotError[];
}

/** A property of `GET /crm/v3/properties/{objectType}`. */
export interface HubSpotPropertyDefinition {
  readonly name: string;
  readonly label: string;
  readonly type: string;
  readonly fieldType: string;
  readonly options: readonly { readonly label: string; readonly value: string; readonly hidden?: boolean; readonly displayOrder?: number }[];
  readonly hasUniqueValue?: boolean;
  readonly calculated?: boolean;
  readonly externalOptions?: boolean;
  readonly archived?: boolean;
  readonly modificationMetadata?: { readonly readOnlyValue?: boolean };
}

function isRecordObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown): readonly string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
}

/** The error fields of a body, whatever else it holds; HubSpot says to treat each one as optional. */
export function asHubSpotError(value: unknown): HubSpotError | undefined {
  if (!isRecordObject(value)) return undefined;
  const context: Record<string, readonly string[]> = {};
  if (isRecordObject(value['context'])) {
    for (const [key, entry] of Object.entries(value['context'])) {
      const list = stringList(entry);
      if (list !== undefined) context[key] = list;
    }
  }
  const errors = Array.isArray(value['errors'])
    ? value['errors'].filter(isRecordObject).map((entry) => ({
        ...(typeof entry['message'] === 'string' ? { message: entry['message'] } : {}),
        ...(typeof entry['code'] === 'string' ? { code: entry['code'] } : {}),
        ...(typeof entry['in'] === 'string' ? { in: entry['in'] } : {}),
        context: entry['context'],
      }))
    : [];
  return {
    ...(typeof value['category'] === 'string' ? { category: value['category'] } : {}),
    ...(typeof value['message'] === 'string' ? { message: value['message'] } : {}),
    ...(typeof value['policyName'] === 'string' ? { policyName: value['policyName'] } : {}),
    context,
    errors,
  };
}

function asRecord(value: unknown): HubSpotRecord | undefined {
  if (!isRecordObject(value) || typeof value['id'] !== 'string' || !isRecordObject(value['properties'])) return undefined;
  const properties: Record<string, string | null> = {};
  for (const [name, entry] of Object.entries(value['properties'])) {
    if (typeof entry === 'string' || entry === null) properties[name] = entry;
    else if (typeof entry === 'number' || typeof entry === 'boolean') properties[name] = String(entry);
  }
  return {
    id: value['id'],
    properties,
    ...(typeof value['updatedAt'] === 'string' ? { updatedAt: value['updatedAt'] } : {}),
    ...(typeof value['new'] === 'boolean' ? { new: value['new'] } : {}),
    ...(typeof value['objectWriteTraceId'] === 'string' ? { objectWriteTraceId: value['objectWriteTraceId'] } : {}),
  };
}

/** A batch response, or undefined when the body does not have that shape. */
export function asBatchResponse(value: unknown): HubSpotBatchResponse | undefined {
  if (!isRecordObject(value) || !Array.isArray(value['results'])) return undefined;
  const results = value['results'].map(asRecord);
  if (results.some((record) => record === undefined)) return undefined;
  const errors = Array.isArray(value['errors']) ? value['errors'].map(asHubSpotError).filter((error) => error !== undefined) : [];
  return { results: results as HubSpotRecord[], errors };
}

/** The `results` of the properties API, or undefined when the body does not have that shape. */
export function asPropertyList(value: unknown): HubSpotPropertyDefinition[] | undefined {
  if (!isRecordObject(value) || !Array.isArray(value['results'])) return undefined;
  const properties: HubSpotPropertyDefinition[] = [];
  for (const entry of value['results']) {
    if (!isRecordObject(entry) || typeof entry['name'] !== 'string' || typeof entry['type'] !== 'string') return undefined;
    const options = Array.isArray(entry['options'])
      ? entry['options']
          .filter(isRecordObject)
          .filter((option) => typeof option['value'] === 'string')
          .map((option) => ({
            value: option['value'] as string,
            label: typeof option['label'] === 'string' ? option['label'] : (option['value'] as string),
            hidden: option['hidden'] === true,
            ...(typeof option['displayOrder'] === 'number' ? { displayOrder: option['displayOrder'] } : {}),
          }))
      : [];
    const metadata = isRecordObject(entry['modificationMetadata']) ? entry['modificationMetadata'] : {};
    properties.push({
      name: entry['name'],
      label: typeof entry['label'] === 'string' ? entry['label'] : entry['name'],
      type: entry['type'],
      fieldType: typeof entry['fieldType'] === 'string' ? entry['fieldType'] : '',
      options,
      hasUniqueValue: entry['hasUniqueValue'] === true,
      calculated: entry['calculated'] === true,
      externalOptions: entry['externalOptions'] === true,
      archived: entry['archived'] === true,
      modificationMetadata: { readOnlyValue: metadata['readOnlyValue'] === true },
    });
  }
  return properties;
}
