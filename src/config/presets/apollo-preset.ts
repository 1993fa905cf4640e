import type { MappingInput } from './preset-types.js';

/** Apollo-style people match response: `{ person: { …, organization: { … } } }`. */
export const apolloPreset: MappingInput = {
  version: 1,
  description: 'Apollo-style person match with the person\'s organization nested inside.',
  identity: { leadId: ['person.id'], updatedAt: ['person.updated_at', 'person.organization.updated_at'] },
  confidence: 0.75,
  objects: {
    contacts: {
      match: 'email',
      fields: [
        { to: 'email', from: 'person.email', normalize: 'email', confidence: 0.95 },
        { to: 'firstname', from: 'person.first_name' },
        { to: 'lastname', from: 'person.last_name' },
        { to: 'jobtitle', from: 'person.title', truncate: true },
        { to: 'job_function', from: 'person.title', normalize: 'title', pick: 'function' },
        { to: 'seniority', from: 'person.title', normalize: 'title', pick: 'seniority' },
        { to: 'company', from: 'person.organization.name', normalize: 'company' },
        { to: 'company_domain', from: ['person.organization.primary_domain', 'person.organization.website_url'], normalize: 'domain' },
        { to: 'phone', from: ['person.phone_numbers[0].sanitized_number', 'person.organization.phone'], normalize: 'phone', confidence: 0.6 },
        { to: 'country', from: 'person.country', normalize: 'country' },
        { to: 'region', from: 'person.country', normalize: 'country', pick: 'region' },
        { to: 'city', from: 'person.city' },
        { to: 'linkedin_url', from: 'person.linkedin_url' },
        { to: 'lead_source', default: 'enrichment' },
      ],
    },
    companies: {
      match: 'domain',
      optional: true,
      fields: [
        { to: 'domain', from: ['person.organization.primary_domain', 'person.organization.website_url'], normalize: 'domain' },
        { to: 'name', from: 'person.organization.name', normalize: 'company' },
        {
          to: 'industry',
          from: 'person.organization.industry',
          values: {
            'information technology & services': 'it_services',
            'computer software': 'software',
            'financial services': 'financial_services',
            banking: 'banking',
            'hospital & health care': 'healthcare',
            'marketing & advertising': 'marketing_advertising',
            'management consulting': 'consulting',
            retail: 'retail',
            telecommunications: 'telecommunications',
            'logistics & supply chain': 'logistics',
          },
        },
        { to: 'numberofemployees', from: 'person.organization.estimated_num_employees' },
        { to: 'annualrevenue', from: 'person.organization.annual_revenue' },
        { to: 'founded_year', from: 'person.organization.founded_year' },
        { to: 'linkedin_url', from: 'person.organization.linkedin_url' },
      ],
    },
  },
};
