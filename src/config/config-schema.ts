import { z } from 'zod';
import { FIELD_TYPES } from '../core/crm-schema/crm-schema-types.js';
import { MERGE_POLICIES } from '../core/merge/plan-types.js';
import { READ_BEFORE_WRITE } from '../core/plan/current-record-need.js';
import {
  INTENT_LEVELS,
  JOB_FUNCTIONS,
  NORMALIZER_KINDS,
  REGIONS,
  SENIORITIES,
} from '../core/normalize/normalizer-types.js';
import { LANES } from '../core/mapping/mapping-types.js';

/**
 * The one definition of `leadsync.yaml`. The typed config, the runtime
 * validation and the committed JSON Schema (schema/leadsync.schema.json) all
 * come from here, so they cannot drift apart.
 */

const name = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/i, 'a name of letters, digits, "_" or "-", starting with a letter');

const payloadPath = z
  .string()
  .min(1)
  .describe('Dot path into the payload, with [n] for list items: "person.employment.title", "emails[0]".');

// ---------------------------------------------------------------------------
// CRM schema (inline under destination.schema, or in a file)

const picklistOption = z.union([
  z.string().min(1).describe('Option value; the label is the same.'),
  z.strictObject({
    value: z.string().min(1),
    label: z.string().optional().describe('(Default: the value)'),
    active: z.boolean().default(true).describe('Inactive options cannot be written. (Default: true)'),
  }),
]);

const crmField = z
  .strictObject({
    type: z.enum(FIELD_TYPES),
    label: z.string().optional().describe('(Default: the field name)'),
    required: z.boolean().default(false).describe('(Default: false)'),
    readOnly: z.boolean().default(false).describe('(Default: false)'),
    unique: z.boolean().default(false).describe('(Default: false)'),
    maxLength: z.number().int().positive().optional(),
    options: z.array(picklistOption).min(1).optional().describe('Required for picklist and multi_picklist fields.'),
    restricted: z
      .boolean()
      .optional()
      .describe('picklist and multi_picklist only: false when the CRM also accepts values outside `options` (a Salesforce unrestricted picklist); leadsync then writes such values as sent and notes it in the audit. (Default: true)'),
  })
  .superRefine((field, ctx) => {
    const needsOptions = field.type === 'picklist' || field.type === 'multi_picklist';
    if (needsOptions && !field.options) {
      ctx.addIssue({ code: 'custom', message: `a ${field.type} field needs options`, path: ['options'] });
    }
    if (!needsOptions && field.options) {
      ctx.addIssue({ code: 'custom', message: `only picklist and multi_picklist fields take options, not ${field.type}`, path: ['options'] });
    }
    if (!needsOptions && field.restricted !== undefined) {
      ctx.addIssue({ code: 'custom', message: `only picklist and multi_picklist fields can be restricted or not, not ${field.type}`, path: ['restricted'] });
    }
  });

export const crmSchemaDocument = z.strictObject({
  version: z.union([z.string(), z.number()]).transform(String).describe('Schema version, recorded in every audit record.'),
  pulledAt: z.string().optional().describe('Set by `leadsync schema pull`: when the schema was read from the CRM (ISO 8601).'),
  destination: z.string().optional().describe('Set by `leadsync schema pull`: the destination kind it was read from.'),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits')
    .optional()
    .describe('Set by `leadsync schema pull`: SHA-256 of the canonical JSON of `objects`; `leadsync check` reports a file edited since.'),
  objects: z.record(
    name,
    z.strictObject({
      label: z.string().optional(),
      fields: z.record(z.string().min(1), crmField),
    }),
  ),
});
export type CrmSchemaDocument = z.output<typeof crmSchemaDocument>;

// ---------------------------------------------------------------------------
// Mappings

const confidence = z.union([
  z.number().min(0).max(1),
  z.strictObject({
    from: payloadPath,
    outOf: z.number().positive().default(1).describe('Divide the payload value by this to get 0..1, e.g. 10 for PDL likelihood, 100 for a percentage. (Default: 1)'),
    fallback: z.number().min(0).max(1).optional().describe('Used when the path holds no number. (Default: the mapping confidence)'),
  }),
]);

const mappedField = z.strictObject({
  to: z.string().min(1).describe('CRM field name on the target object.'),
  from: z
    .union([payloadPath, z.array(payloadPath).min(1)])
    .optional()
    .describe('Payload path, or several: the first that holds a value wins.'),
  normalize: z.enum(NORMALIZER_KINDS).optional().describe('Normalizer applied before validation.'),
  pick: z
    .string()
    .optional()
    .describe('Which key of the normalizer output to write (title: function|seniority; email: email|domain|freeMail; intent: score|level; country: country|region). (Default: the main key)'),
  values: z
    .record(z.string(), z.string())
    .optional()
    .describe('Picklist map: incoming value or synonym -> CRM option value. Matching ignores case and accents.'),
  confidence: confidence.optional().describe('(Default: the mapping confidence)'),
  default: z
    .union([z.string(), z.number(), z.boolean(), z.null()])
    .optional()
    .describe('Null-safe default when the payload holds no value.'),
  truncate: z.boolean().default(false).describe('Cut values longer than the CRM maxLength instead of rejecting them. (Default: false)'),
});
export type MappedFieldConfig = z.output<typeof mappedField>;

const mappingObject = z.strictObject({
  match: z
    .string()
    .min(1)
    .describe('CRM field that identifies the record (unique), e.g. email for contacts, domain for companies. It must be one of the mapped fields.'),
  optional: z
    .boolean()
    .default(false)
    .describe('When the payload gives no match value, skip this object instead of rejecting the event. (Default: false)'),
  fields: z.array(mappedField).min(1),
});

export const mappingConfig = z.strictObject({
  version: z.number().int().positive().describe('Bump on every change; recorded in every audit record.'),
  description: z.string().optional(),
  identity: z.strictObject({
    leadId: z.union([payloadPath, z.array(payloadPath).min(1)]).describe('Path of the source lead id.'),
    updatedAt: z
      .union([payloadPath, z.array(payloadPath).min(1)])
      .describe('Path of the source updated-at timestamp (ISO 8601, or epoch seconds/milliseconds).'),
  }),
  confidence: z.number().min(0).max(1).default(1).describe('Confidence of every field unless set per field. (Default: 1)'),
  objects: z.record(name, mappingObject).describe('CRM objects this source writes, by object name.'),
});
export type MappingConfig = z.output<typeof mappingConfig>;

// ---------------------------------------------------------------------------
// Sources

const signatureConfig = z.discriminatedUnion('scheme', [
  z.strictObject({
    scheme: z.literal('standard-webhooks'),
    secrets: z.array(z.string().min(1)).min(1).describe('Several secrets are accepted at once for rotation ("whsec_..." base64 or raw).'),
    toleranceSeconds: z.number().int().positive().default(300).describe('(Default: 300)'),
  }),
  z.strictObject({
    scheme: z.literal('hubspot-v3'),
    secrets: z.array(z.string().min(1)).min(1),
    toleranceSeconds: z.number().int().positive().default(300).describe('(Default: 300)'),
  }),
  z.strictObject({
    scheme: z.literal('hmac-sha256'),
    secrets: z.array(z.string().min(1)).min(1),
    header: z.string().default('x-signature').describe('(Default: x-signature)'),
  }),
  z.strictObject({ scheme: z.literal('none') }).describe('No signature: only for local testing.'),
]);

const sourceConfig = z.strictObject({
  description: z.string().optional(),
  preset: z.string().optional().describe('A built-in mapping preset (webform, segment, clearbit, apollo, pdl, zoominfo) used when `mapping` is not set.'),
  mapping: name.optional().describe('Name of a mapping under `mappings`. (Default: the preset)'),
  lane: z.enum(LANES).default('realtime').describe('(Default: realtime)'),
  eventTypePath: payloadPath.optional().describe('Payload path of the event type, for per-type lane routing.'),
  lanesByEventType: z.record(z.string(), z.enum(LANES)).optional(),
  signature: signatureConfig.default({ scheme: 'none' }).describe('(Default: none)'),
});
export type SourceConfig = z.output<typeof sourceConfig>;

// ---------------------------------------------------------------------------
// Destination, policies, lanes, retry, alerts, storage

export const DESTINATION_KINDS = ['sandbox', 'hubspot', 'salesforce'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];
export const HUBSPOT_TIERS = ['starter', 'professional', 'enterprise', 'api_limit_increase'] as const;
export type HubSpotTier = (typeof HUBSPOT_TIERS)[number];

const rateLimitConfig = z
  .strictObject({
    requests: z.number().int().positive().optional().describe('Calls the CRM allows per interval, counted over a rolling window. (Default: the vendor\'s: HubSpot 100 per 10 s, 190 on professional and enterprise, 250 with the API limit increase; Salesforce 100000 per 24 h; sandbox: no limit)'),
    intervalMs: z.number().int().positive().optional().describe('The window of `requests`, in ms. (Default: HubSpot 10000; Salesforce 86400000)'),
    realtimeReserve: z.number().min(0).max(0.9).default(0.2).describe('Share of the token bucket the batch lane may never take, so a backfill cannot delay the realtime lane. (Default: 0.2)'),
    burst: z
      .number()
      .gt(0)
      .max(0.5)
      .default(0.02)
      .describe('Share of `requests` the bucket holds: how many calls may go out back to back (at least 2 with a realtime reserve). A rolling window can see a full bucket plus one interval of refill, so the steady rate is requests × (1 − burst − headroom) per interval: a smaller burst paces faster. (Default: 0.02 — HubSpot professional: 3 at once, then 18.3 calls/s)'),
    headroom: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.02)
      .describe('Share of `requests` left unused in every rolling window: the margin for the CRM counting calls when they arrive rather than when the governor lets them go (network delay that varies, a new TLS connection, a busy event loop), clocks of processes that share the bucket, and calls the governor does not see (HubSpot schema refreshes, other clients of the same app). HubSpot professional: 3.8 calls per 10 s, about 0.26 s of arrival delay that varies (docs/config.md). (Default: 0.02)'),
    maxWaitMs: z.number().int().positive().max(60_000).default(10_000).describe('Longest a CRM call waits for a token; beyond it (a pause, a long Retry-After) the job is rescheduled. (Default: 10000)'),
  })
  .describe('The rate-limit governor: a token bucket per destination shared by both lanes and every worker process (docs/config.md).');

const salesforceAuth = z.discriminatedUnion('flow', [
  z.strictObject({
    flow: z.literal('client_credentials'),
    clientId: z.string().min(1).describe('Consumer key of the connected app (use ${ENV_VAR}).'),
    clientSecret: z.string().min(1).describe('Consumer secret of the connected app (use ${ENV_VAR}).'),
  }),
  z.strictObject({
    flow: z.literal('jwt_bearer'),
    clientId: z.string().min(1).describe('Consumer key of the connected app.'),
    username: z.string().min(1).describe('The Salesforce user the integration acts as.'),
    privateKeyFile: z.string().min(1).describe('PEM private key whose certificate is uploaded to the connected app, relative to the config file.'),
  }),
]);

const HUBSPOT_KEYS = ['token', 'baseUrl', 'tier'] as const;
const SALESFORCE_KEYS = ['instanceUrl', 'loginUrl', 'apiVersion', 'auth', 'bulkThreshold'] as const;

const destinationConfig = z
  .strictObject({
    kind: z.enum(DESTINATION_KINDS).default('sandbox').describe('(Default: sandbox)'),
    schema: crmSchemaDocument.optional().describe('CRM schema declared inline.'),
    schemaFile: z
      .string()
      .optional()
      .describe('CRM schema file (YAML or JSON), relative to the config file. (Default for hubspot and salesforce: schema/<kind>.pulled.yaml, written by `leadsync schema pull`)'),
    rateLimit: rateLimitConfig.optional().describe('(Default: the vendor limits for hubspot and salesforce; none for sandbox)'),
    timeoutMs: z.number().int().positive().max(600_000).optional().describe('Per-request timeout of CRM calls. (Default: 30000)'),
    readBeforeWrite: z
      .enum(READ_BEFORE_WRITE)
      .default('always')
      .describe('Which records the worker reads from the CRM before writing them. always: every record, so each plan merges with the CRM\'s values and the audit\'s before values are the CRM\'s. when_needed: only records whose plan depends on the current values (a fill_empty, higher_confidence or approval field, a precedence list, a create-required field the plan does not carry); overwrite-only records are upserted without a read, planned against leadsync\'s own field state, and their audit changes say beforeRead: false. Halves the calls of an overwrite-only backfill (docs/decisions/0013-read-before-write-when-needed.md). (Default: always)'),
    // HubSpot
    token: z.string().min(1).optional().describe('hubspot: private-app access token, without "Bearer " (use ${ENV_VAR}).'),
    baseUrl: z.url().optional().describe('hubspot: API base URL. (Default: https://api.hubapi.com)'),
    tier: z.enum(HUBSPOT_TIERS).optional().describe('hubspot: account tier, which sets the default rate limit. (Default: starter — 100 per 10 s)'),
    // Salesforce
    instanceUrl: z.url().optional().describe('salesforce: My Domain URL, e.g. https://acme.my.salesforce.com.'),
    loginUrl: z.url().optional().describe('salesforce: OAuth token host; client_credentials needs the My Domain URL, jwt_bearer may use https://login.salesforce.com. (Default: the instanceUrl)'),
    apiVersion: z
      .string()
      .regex(/^\d{2,3}\.0$/, 'a version like "60.0"')
      .optional()
      .describe('salesforce: REST API version. (Default: 60.0)'),
    auth: salesforceAuth.optional().describe('salesforce: how leadsync gets an access token.'),
    bulkThreshold: z.number().int().positive().optional().describe('salesforce: batch-lane writes of at least this many records go through Bulk API 2.0. (Default: 2000)'),
  })
  .superRefine((d, ctx) => {
    const foreign = (keys: readonly string[], owner: string): void => {
      for (const key of keys) {
        if ((d as Record<string, unknown>)[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is a ${owner} setting; this destination is kind ${d.kind}` });
      }
    };
    if (d.kind === 'sandbox') {
      if ((d.schema === undefined) === (d.schemaFile === undefined)) ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of schema (inline) or schemaFile' });
      foreign(HUBSPOT_KEYS, 'hubspot');
      foreign(SALESFORCE_KEYS, 'salesforce');
      return;
    }
    if (d.schema !== undefined && d.schemaFile !== undefined) ctx.addIssue({ code: 'custom', path: [], message: 'give at most one of schema (inline) or schemaFile' });
    if (d.kind === 'hubspot') {
      foreign(SALESFORCE_KEYS, 'salesforce');
      if (d.token === undefined) ctx.addIssue({ code: 'custom', path: ['token'], message: 'hubspot needs a private-app token: token: ${HUBSPOT_TOKEN}' });
      else if (/^bearer\s/i.test(d.token)) ctx.addIssue({ code: 'custom', path: ['token'], message: 'give the token without the "Bearer " prefix' });
      return;
    }
    foreign(HUBSPOT_KEYS, 'hubspot');
    if (d.instanceUrl === undefined) ctx.addIssue({ code: 'custom', path: ['instanceUrl'], message: 'salesforce needs the instance (My Domain) URL, e.g. https://acme.my.salesforce.com' });
    if (d.auth === undefined) {
      ctx.addIssue({ code: 'custom', path: ['auth'], message: 'salesforce needs auth: { flow: client_credentials, clientId, clientSecret } or { flow: jwt_bearer, clientId, username, privateKeyFile }' });
    }
  });
export type DestinationConfig = z.output<typeof destinationConfig>;

const fieldPolicy = z.strictObject({
  policy: z.enum(MERGE_POLICIES),
  minConfidence: z.number().min(0).max(1).optional(),
  precedence: z.array(name).min(1).optional().describe('Source names, highest precedence first.'),
});

const policiesConfig = z.strictObject({
  default: fieldPolicy.default({ policy: 'overwrite' }).describe('(Default: overwrite)'),
  fields: z
    .record(z.string().regex(/^[^.]+\.[^.]+$/, '"object.field"'), fieldPolicy)
    .default({})
    .describe('Per-field policies, keyed "object.field".'),
});

const alertChannel = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('log') }),
  z.strictObject({ kind: z.literal('slack'), url: z.string().url() }),
  z.strictObject({ kind: z.literal('webhook'), url: z.string().url(), secret: z.string().min(1) }),
]);

const normalizerOverrides = z.strictObject({
  title: z
    .strictObject({
      functions: z.partialRecord(z.enum(JOB_FUNCTIONS), z.array(z.string().min(1))).optional(),
      seniorities: z.partialRecord(z.enum(SENIORITIES), z.array(z.string().min(1))).optional(),
    })
    .optional(),
  country: z
    .strictObject({
      aliases: z.record(z.string(), z.string().length(2)).optional(),
      regions: z.record(z.string().length(2), z.enum(REGIONS)).optional(),
    })
    .optional(),
  company: z.strictObject({ suffixes: z.array(z.string().min(1)).optional() }).optional(),
  email: z
    .strictObject({
      freeMailDomains: z.array(z.string().min(1)).optional(),
      notFreeMail: z.array(z.string().min(1)).optional(),
    })
    .optional(),
  intent: z
    .strictObject({
      words: z.record(z.string(), z.enum(INTENT_LEVELS)).optional(),
      thresholds: z
        .strictObject({ medium: z.number().min(0).max(100).optional(), high: z.number().min(0).max(100).optional() })
        .optional(),
    })
    .optional(),
});

export const leadsyncConfig = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1).describe('Config format version.'),
  service: z
    .strictObject({
      host: z.string().default('127.0.0.1').describe('(Default: 127.0.0.1)'),
      port: z.number().int().min(0).max(65535).default(8080).describe('(Default: 8080)'),
      bodyLimitBytes: z.number().int().positive().default(1_048_576).describe('(Default: 1048576)'),
      readOnly: z.boolean().default(false).describe('Refuse every change through the HTTP API and dashboard (replay, discard, approve, reject, tokens, config reload) with 403 SERVICE_READ_ONLY; reads still work. (Default: false)'),
    })
    .prefault({}),
  storage: z
    .strictObject({
      url: z.string().optional().describe('postgres://… for scale-out. (Default: the SQLite file)'),
      file: z.string().default('./data/leadsync.db').describe('SQLite file, relative to the working directory. (Default: ./data/leadsync.db)'),
      synchronous: z.enum(['normal', 'full']).default('full').describe('SQLite durability: full survives power loss, normal survives a process kill. (Default: full)'),
      payloadRetentionDays: z.number().int().positive().default(30).describe('(Default: 30)'),
    })
    .prefault({}),
  destination: destinationConfig,
  normalizers: normalizerOverrides.optional(),
  sources: z.record(name, sourceConfig).refine((s) => Object.keys(s).length > 0, 'at least one source'),
  mappings: z.record(name, mappingConfig).default({}),
  policies: policiesConfig.prefault({}),
  lanes: z
    .strictObject({
      realtime: z
        .strictObject({ concurrency: z.number().int().positive().default(4).describe('(Default: 4)') })
        .prefault({}),
      batch: z
        .strictObject({
          maxSize: z.number().int().positive().default(100).describe('(Default: 100)'),
          maxAgeMs: z.number().int().positive().default(5_000).describe('(Default: 5000)'),
          inFlight: z.number().int().positive().max(16).default(2).describe('Batches a worker keeps in flight at once: the next is claimed while the previous one writes to the CRM and settles. 1: one at a time. (Default: 2)'),
        })
        .prefault({}),
    })
    .prefault({}),
  retry: z
    .strictObject({
      maxRetries: z.number().int().min(0).default(3).describe('(Default: 3)'),
      baseDelayMs: z.number().int().positive().default(1_000).describe('(Default: 1000)'),
      maxDelayMs: z.number().int().positive().default(60_000).describe('(Default: 60000)'),
      visibilityTimeoutMs: z.number().int().positive().max(60_000).default(30_000).describe('(Default: 30000)'),
    })
    .prefault({}),
  approvals: z
    .strictObject({ expireAfterDays: z.number().int().positive().default(14).describe('(Default: 14)') })
    .prefault({}),
  alerts: z.array(alertChannel).default([{ kind: 'log' }]).describe('(Default: one log channel)'),
});

export type LeadsyncConfigInput = z.input<typeof leadsyncConfig>;
export type LeadsyncConfigDocument = z.output<typeof leadsyncConfig>;
