import type { MappingInput } from './preset-types.js';

/** Segment-style `identify` and `track` product events (Segment spec; RudderStack and Jitsu send the same shape). */
export const segmentPreset: MappingInput = {
  version: 1,
  description: 'Segment identify/track events: traits on identify, properties on track.',
  identity: { leadId: ['userId', 'anonymousId'], updatedAt: ['timestamp', 'sentAt', 'receivedAt'] },
  confidence: 0.9,
  objects: {
    contacts: {
      match: 'email',
      fields: [
        { to: 'email', from: ['traits.email', 'properties.email', 'context.traits.email'], normalize: 'email', confidence: 1 },
        { to: 'firstname', from: ['traits.firstName', 'traits.first_name'] },
        { to: 'lastname', from: ['traits.lastName', 'traits.last_name'] },
        { to: 'jobtitle', from: 'traits.title', truncate: true },
        { to: 'job_function', from: 'traits.title', normalize: 'title', pick: 'function' },
        { to: 'seniority', from: 'traits.title', normalize: 'title', pick: 'seniority' },
        { to: 'company', from: ['traits.company.name', 'traits.company_name'], normalize: 'company' },
        { to: 'phone', from: ['traits.phone', 'properties.phone'], normalize: 'phone' },
        { to: 'country', from: ['traits.address.country', 'context.location.country'], normalize: 'country' },
        { to: 'region', from: ['traits.address.country', 'context.location.country'], normalize: 'country', pick: 'region' },
        { to: 'city', from: ['traits.address.city', 'context.location.city'] },
        { to: 'intent_score', from: ['properties.intent_score', 'traits.intent_score'], normalize: 'intent', pick: 'score' },
        { to: 'intent_level', from: ['properties.intent_score', 'traits.intent_score', 'properties.intent'], normalize: 'intent', pick: 'level' },
        { to: 'last_activity_at', from: 'timestamp' },
        { to: 'demo_requested', from: 'properties.demo_requested' },
        { to: 'lead_source', default: 'product_signup' },
      ],
    },
  },
};
