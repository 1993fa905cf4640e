import { createNormalizers } from '../core/normalize/normalizers.js';
import type { PlanContext } from '../core/plan/event-plan-types.js';
import type { LoadedConfig, RuntimeSource } from './config-loader.js';

const normalizersByConfig = new WeakMap<LoadedConfig, ReturnType<typeof createNormalizers>>();

/** The planner context of one source: its mapping, the schema, the config's normalizer tables and policies. */
export function planContextFor(config: LoadedConfig, source: RuntimeSource): PlanContext {
  let normalizers = normalizersByConfig.get(config);
  if (!normalizers) {
    normalizers = createNormalizers(config.normalizers);
    normalizersByConfig.set(config, normalizers);
  }
  const compiled = normalizers;
  return {
    source: source.name,
    mapping: source.mapping,
    schema: config.schema,
    normalize: (kind, value, context) => compiled.normalize(kind, value, context),
    policies: config.policies,
    readBeforeWrite: config.document.destination.readBeforeWrite,
  };
}
