import type { MappingInput } from './preset-types.js';

/** Flat web-form JSON (Webflow, Typeform, HubSpot forms, a hand-written form handler). */
export const webformPreset: MappingInput = {
  version: 1,
  description: 'Flat web-form submission: one JSON object of form fields.',
  identity: { leadId: ['lead_id', 'email'], updatedAt: ['submitted_at', 'timestamp'] },
  confidence: 1,
  objects: {
    contacts: {
      match: 'email',
      fields: [
        { to: 'email', from: 'email', normalize: 'email' },
        { to: 'firstname', from: ['first_name', 'firstname'] },
        { to: 'lastname', from: ['last_name', 'lastname'] },
        { to: 'jobtitle', from: ['job_title', 'title'], truncate: true },
        { to: 'job_function', from: ['job_title', 'title'], normalize: 'title', pick: 'function', confidence: 0.9 },
        { to: 'seniority', from: ['job_title', 'title'], normalize: 'title', pick: 'seniority', confidence: 0.9 },
        { to: 'company', from: 'company', normalize: 'company' },
        // Not from the email: a free-mail address would name gmail.com as the company.
        { to: 'company_domain', from: 'website', normalize: 'domain' },
        { to: 'phone', from: 'phone', normalize: 'phone' },
        { to: 'country', from: 'country', normalize: 'country' },
        { to: 'region', from: 'country', normalize: 'country', pick: 'region' },
        { to: 'city', from: 'city' },
        {
          to: 'employee_range',
          from: ['employees', 'company_size'],
          values: { '1-10': '1-10', '11-50': '11-50', '51-200': '51-200', '201-500': '201-500', '501-1000': '501-1000', '1000+': '1001-5000', '5000+': '5001-10000', '10000+': '10001+' },
        },
        {
          to: 'lead_source',
          from: ['lead_source', 'form'],
          values: { 'demo request': 'demo_request', 'demo-request': 'demo_request', 'contact us': 'web_form', 'contact-us': 'web_form', newsletter: 'web_form', webinar: 'event' },
          default: 'web_form',
        },
        // No default: a later contact-us form must not reset an earlier demo request to false.
        { to: 'demo_requested', from: 'demo_requested' },
        { to: 'lifecyclestage', default: 'lead' },
        { to: 'hubspot_owner_id', from: 'owner_id' },
      ],
    },
    companies: {
      match: 'domain',
      optional: true,
      fields: [
        { to: 'domain', from: 'website', normalize: 'domain' },
        { to: 'name', from: 'company', normalize: 'company' },
        { to: 'country', from: 'country', normalize: 'country' },
        { to: 'region', from: 'country', normalize: 'country', pick: 'region' },
      ],
    },
  },
};
