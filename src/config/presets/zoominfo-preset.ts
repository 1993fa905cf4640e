import type { MappingInput } from './preset-types.js';

/** A flat ZoomInfo-like contact record with a confidence (0–100) beside each field. */
export const zoominfoPreset: MappingInput = {
  version: 1,
  description: 'Flat ZoomInfo-like record with per-field confidence scores (0-100).',
  identity: { leadId: ['id', 'personId'], updatedAt: ['lastUpdatedDate'] },
  confidence: 0.7,
  objects: {
    contacts: {
      match: 'email',
      fields: [
        { to: 'email', from: 'email', normalize: 'email', confidence: { from: 'emailConfidence', outOf: 100 } },
        { to: 'firstname', from: 'firstName' },
        { to: 'lastname', from: 'lastName' },
        { to: 'jobtitle', from: 'jobTitle', truncate: true, confidence: { from: 'jobTitleConfidence', outOf: 100 } },
        { to: 'job_function', from: 'jobTitle', normalize: 'title', pick: 'function', confidence: { from: 'jobTitleConfidence', outOf: 100 } },
        { to: 'seniority', from: 'jobTitle', normalize: 'title', pick: 'seniority', confidence: { from: 'jobTitleConfidence', outOf: 100 } },
        { to: 'company', from: 'companyName', normalize: 'company', confidence: { from: 'companyConfidence', outOf: 100 } },
        { to: 'company_domain', from: 'companyWebsite', normalize: 'domain', confidence: { from: 'companyConfidence', outOf: 100 } },
        { to: 'phone', from: ['directPhone', 'mobilePhone', 'companyPhone'], normalize: 'phone', confidence: { from: 'phoneConfidence', outOf: 100 } },
        { to: 'country', from: 'country', normalize: 'country' },
        { to: 'region', from: 'country', normalize: 'country', pick: 'region' },
        { to: 'city', from: 'city' },
        {
          to: 'employee_range',
          from: 'employeeCountRange',
          values: { '1 - 9': '1-10', '10 - 49': '11-50', '50 - 99': '51-200', '100 - 249': '201-500', '250 - 499': '201-500', '500 - 999': '501-1000', '1,000 - 4,999': '1001-5000', '5,000 - 9,999': '5001-10000', '10,000+': '10001+' },
          confidence: { from: 'companyConfidence', outOf: 100 },
        },
        { to: 'lead_source', default: 'enrichment' },
      ],
    },
  },
};
