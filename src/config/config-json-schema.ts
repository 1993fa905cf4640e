import { z } from 'zod';
import { crmSchemaDocument, leadsyncConfig } from './config-schema.js';

/** JSON Schemas for editors, generated from the one config definition. */
export function configJsonSchemas(): Record<string, unknown> {
  return {
    'leadsync.schema.json': {
      ...z.toJSONSchema(leadsyncConfig, { io: 'input', unrepresentable: 'any' }),
      title: 'leadsync.yaml',
      description: 'leadsync configuration (generated from src/config/config-schema.ts by `npm run schema:generate`; do not edit).',
    },
    'crm-schema.schema.json': {
      ...z.toJSONSchema(crmSchemaDocument, { io: 'input', unrepresentable: 'any' }),
      title: 'CRM schema file',
      description: 'A CRM schema as written by `leadsync schema pull` or by hand (generated; do not edit).',
    },
  };
}

/** The committed text of a generated schema file. */
export function renderJsonSchema(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
