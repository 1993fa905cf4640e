import type { MappingInput } from './preset-types.js';

/** Clearbit-style combined enrichment: `{ person, company }`. */
export const clearbitPreset: MappingInput = {
  version: 1,
  description: 'Clearbit-style combined enrichment response (person + company).',
  identity: { leadId: ['person.id', 'person.email'], updatedAt: ['person.indexedAt', 'company.indexedAt'] },
  confidence: 0.8,
  objects: {
    contacts: {
      match: 'email',
      fields: [
        { to: 'email', from: 'person.email', normalize: 'email', confidence: 1 },
        { to: 'firstname', from: 'person.name.givenName' },
        { to: 'lastname', from: 'person.name.familyName' },
        { to: 'jobtitle', from: 'person.employment.title', truncate: true },
        { to: 'job_function', from: 'person.employment.title', normalize: 'title', pick: 'function' },
        { to: 'seniority', from: 'person.employment.title', normalize: 'title', pick: 'seniority' },
        { to: 'company', from: ['company.name', 'person.employment.name'], normalize: 'company' },
        { to: 'company_domain', from: ['company.domain', 'person.employment.domain'], normalize: 'domain' },
        { to: 'country', from: ['person.geo.countryCode', 'person.geo.country'], normalize: 'country' },
        { to: 'region', from: ['person.geo.countryCode', 'person.geo.country'], normalize: 'country', pick: 'region' },
        { to: 'city', from: 'person.geo.city' },
        { to: 'linkedin_url', from: 'person.linkedin.handle' },
        { to: 'lead_source', default: 'enrichment' },
      ],
    },
    companies: {
      match: 'domain',
      optional: true,
      fields: [
        { to: 'domain', from: 'company.domain', normalize: 'domain' },
        { to: 'name', from: ['company.name', 'company.legalName'], normalize: 'company' },
        {
          to: 'industry',
          from: 'company.category.industry',
          values: {
            'internet software & services': 'software',
            software: 'software',
            'it services': 'it_services',
            banks: 'banking',
            'diversified financial services': 'financial_services',
            insurance: 'insurance',
            'health care providers & services': 'healthcare',
            pharmaceuticals: 'pharmaceuticals',
            'diversified consumer services': 'other',
            media: 'media',
            'professional services': 'consulting',
            'internet & catalog retail': 'ecommerce',
          },
        },
        { to: 'numberofemployees', from: 'company.metrics.employees' },
        { to: 'annualrevenue', from: 'company.metrics.annualRevenue' },
        { to: 'country', from: ['company.geo.countryCode', 'company.geo.country'], normalize: 'country' },
        { to: 'region', from: ['company.geo.countryCode', 'company.geo.country'], normalize: 'country', pick: 'region' },
        { to: 'city', from: 'company.geo.city' },
        { to: 'founded_year', from: 'company.foundedYear' },
        { to: 'description', from: 'company.description', truncate: true },
      ],
    },
  },
};
