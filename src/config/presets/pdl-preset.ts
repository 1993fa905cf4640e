import type { MappingInput } from './preset-types.js';

/**
 * People Data Labs-style person enrichment: `{ status, likelihood, data: { … } }`.
 * `likelihood` (1–10) is PDL's match confidence and becomes every field's confidence.
 * PDL responses carry no response time, so the caller's `enriched_at` is read first.
 */
export const pdlPreset: MappingInput = {
  version: 1,
  description: 'People Data Labs-style person enrichment; likelihood 1-10 is the confidence.',
  identity: { leadId: ['data.id'], updatedAt: ['enriched_at', 'data.job_last_verified', 'data.job_last_changed'] },
  confidence: 0.7,
  objects: {
    contacts: {
      match: 'email',
      fields: [
        { to: 'email', from: ['data.work_email', 'data.recommended_personal_email', 'data.personal_emails[0]'], normalize: 'email', confidence: { from: 'likelihood', outOf: 10 } },
        { to: 'firstname', from: 'data.first_name', confidence: { from: 'likelihood', outOf: 10 } },
        { to: 'lastname', from: 'data.last_name', confidence: { from: 'likelihood', outOf: 10 } },
        { to: 'jobtitle', from: 'data.job_title', truncate: true, confidence: { from: 'likelihood', outOf: 10 } },
        { to: 'job_function', from: 'data.job_title', normalize: 'title', pick: 'function', confidence: { from: 'likelihood', outOf: 10 } },
        { to: 'seniority', from: 'data.job_title', normalize: 'title', pick: 'seniority', confidence: { from: 'likelihood', outOf: 10 } },
        { to: 'company', from: 'data.job_company_name', normalize: 'company', confidence: { from: 'likelihood', outOf: 10 } },
        { to: 'company_domain', from: 'data.job_company_website', normalize: 'domain', confidence: { from: 'likelihood', outOf: 10 } },
        { to: 'phone', from: ['data.mobile_phone', 'data.phone_numbers[0]'], normalize: 'phone', confidence: { from: 'likelihood', outOf: 10 } },
        { to: 'country', from: 'data.location_country', normalize: 'country', confidence: { from: 'likelihood', outOf: 10 } },
        { to: 'region', from: 'data.location_country', normalize: 'country', pick: 'region', confidence: { from: 'likelihood', outOf: 10 } },
        { to: 'city', from: 'data.location_locality', confidence: { from: 'likelihood', outOf: 10 } },
        {
          to: 'employee_range',
          from: 'data.job_company_size',
          values: { '1-10': '1-10', '11-50': '11-50', '51-200': '51-200', '201-500': '201-500', '501-1000': '501-1000', '1001-5000': '1001-5000', '5001-10000': '5001-10000', '10001+': '10001+' },
          confidence: { from: 'likelihood', outOf: 10 },
        },
        {
          to: 'industry',
          from: 'data.job_company_industry',
          values: { 'computer software': 'software', 'information technology and services': 'it_services', 'financial services': 'financial_services', banking: 'banking', 'hospital & health care': 'healthcare', 'marketing and advertising': 'marketing_advertising', retail: 'retail', telecommunications: 'telecommunications' },
          confidence: { from: 'likelihood', outOf: 10 },
        },
        { to: 'linkedin_url', from: 'data.linkedin_url', confidence: { from: 'likelihood', outOf: 10 } },
        { to: 'lead_source', default: 'enrichment' },
      ],
    },
  },
};
