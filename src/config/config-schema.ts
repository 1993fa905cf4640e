import { z } from 'zod';
import { FIELD_TYPES } from '../core/crm-schema/crm-schema-types.js';
import { MERGE_POLICIES } from '../core/merge/plan-types.js';
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
  })
  .superRefine((field, ctx) => {
    const needsOptions = field.type === 'picklist' || field.type === 'multi_picklist';
    if (needsOptions && !field.options) {
      ctx.addIssue({ code: 'custom', message: `a ${field.type} field needs options`, path: ['options'] });
    }
    if (!needsOptions && field.options) {
      ctx.addIssue({ code: 'custom', message: `only picklist and multi_picklist fields take options, not ${field.type}`, path: ['options'] });
    }
  });

export const crmSchemaDocument = z.strictObject({
  version: z.union([z.string(), z.number()]).transform(String).describe('Schema version, recorded in every audit record.'),
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

const destinationConfig = z
  .strictObject({
    kind: z.enum(['sandbox', 'hubspot', 'salesforce']).default('sandbox').describe('(Default: sandbox)'),
    schema: crmSchemaDocument.optional().describe('CRM schema declared inline.'),
    schemaFile: z.string().optional().describe('CRM schema file (YAML or JSON), relative to the config file.'),
    baseUrl: z.string().url().optional(),
    token: z.string().optional().describe('API token (use ${ENV_VAR}).'),
  })
  .refine((d) => (d.schema === undefined) !== (d.schemaFile === undefined), {
    message: 'give exactly one of schema (inline) or schemaFile',
  });

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
