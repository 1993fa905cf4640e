import type { z } from 'zod';
import type { mappingConfig } from '../config-schema.js';

/** A mapping as written in YAML (before defaults are applied). */
export type MappingInput = z.input<typeof mappingConfig>;
