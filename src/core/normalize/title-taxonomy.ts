import type { JobFunction, Seniority } from './normalizer-types.js';

/**
 * The default job-title taxonomy (NORMALIZATION.md "title"). Terms are written
 * as people type them; the title normalizer tokenises them with the same rules
 * as input ("Co-Founder" = "co founder", "FP&A" = "fpa", "Sr." = "sr"), and
 * matches the longest term at each position. A term may appear in several
 * tables (e.g. "account executive" is a role word and a sales word); the tables
 * are merged per term when the normalizers are created.
 */

/**
 * Special handling of a term, applied while scanning a title:
 * - `chief`: "Chief … Officer" (officer later in the same segment) is c_suite;
 *   any other "Chief X" ("Chief Architect", "Chief Engineer") is senior.
 * - `partner`: the partner rank, unless another title word follows it in the
 *   same segment ("Partner Manager", "Partner Marketing Lead"): then it only
 *   qualifies that word and brings no rank.
 * - `staff`: senior when it qualifies a following word ("Staff Engineer");
 *   a plain noun otherwise ("Support Staff"), i.e. entry.
 */
export type TitleRule = 'chief' | 'partner' | 'staff';

/**
 * How strongly a word names a function. When a title has several function
 * words, the function is chosen in this order (see title-normalizer.ts):
 * config keywords, then operations words anywhere, then `specific` and
 * `generic` words of the first segment that has any (specific first, the last
 * one in the segment wins), then `weak` words, then `executive` words.
 */
export type FunctionClass = 'operations' | 'specific' | 'generic' | 'weak' | 'executive';

/** Rank words, per seniority. `entry` is the fallback for recognised roles, see ROLE_TERMS. */
export const SENIORITY_TERMS: Readonly<Record<Exclude<Seniority, 'entry'>, readonly string[]>> = {
  owner: ['owner', 'co-owner', 'coowner', 'proprietor', 'self-employed', 'business owner', 'inhaber', 'inhaberin', 'propietario', 'propietaria', 'proprietaire'],
  founder: ['founder', 'co-founder', 'cofounder', 'founding partner', 'entrepreneur', 'fundador', 'fundadora', 'fondateur', 'fondatrice', 'gründer', 'gruender', 'gründerin'],
  c_suite: [
    'ceo', 'cfo', 'cto', 'coo', 'cmo', 'cro', 'cio', 'ciso', 'cpo', 'chro', 'cdo', 'cso', 'cco', 'cao', 'cbo', 'cgo', 'cxo', 'cno',
    'c.e.o.', 'c.f.o.', 'c.t.o.', 'c.o.o.', 'c.m.o.',
    'president', 'chief executive', 'chairman', 'chairwoman', 'chairperson', 'chair of the board', 'board chair',
    'geschäftsführer', 'geschaeftsfuehrer', 'geschäftsführerin', 'presidente', 'pdg',
  ],
  // "Senior Partner", "Equity Partner" are "partner" plus a word; only phrases that mean more are listed.
  partner: ['partner', 'managing partner'],
  vp: [
    'vp', 'v.p.', 'vice president', 'vice-president', 'vicepresident', 'vice presidente', 'vicepresidente',
    'svp', 'evp', 'avp', 'rvp', 'gvp',
    'senior vice president', 'executive vice president', 'assistant vice president', 'associate vice president',
    'group vice president', 'regional vice president', 'area vice president',
  ],
  head: ['head', 'jefe', 'jefa', 'leiter', 'leiterin'],
  director: [
    'director', 'dir', 'directeur', 'directrice', 'directora', 'diretor', 'diretora', 'direttore', 'direttrice', 'direktor', 'direktorin',
    // By the contract's rule "Director … incl. Senior/Associate/Regional": a Managing Director is a director, not c_suite.
    'managing director', 'art director', 'board member', 'board of directors', 'non-executive director', 'independent director',
    'dean', 'chief of staff',
  ],
  manager: ['manager', 'mgr', 'mngr', 'general manager', 'gm', 'gerente', 'responsable', 'csm', 'account manager'],
  senior: ['senior', 'sr', 'snr', 'staff', 'principal', 'lead', 'leader', 'chief', 'distinguished'],
  intern: [
    'intern', 'internship', 'trainee', 'working student', 'werkstudent', 'werkstudentin', 'apprentice', 'apprenticeship',
    'student', 'praktikant', 'praktikantin', 'stagiaire', 'becario', 'becaria', 'estagiario', 'estagiaria',
  ],
};

/** Recognised role nouns with no rank of their own: a title made only of these is `entry`. */
export const ROLE_TERMS: readonly string[] = [
  'engineer', 'engr', 'developer', 'programmer', 'coder', 'analyst', 'representative', 'rep', 'associate', 'specialist',
  'coordinator', 'coord', 'accountant', 'bookkeeper', 'recruiter', 'sourcer', 'designer', 'consultant', 'advisor', 'adviser',
  'administrator', 'admin', 'assistant', 'asst', 'agent', 'officer', 'scientist', 'researcher', 'architect', 'technician',
  'technologist', 'tester', 'writer', 'copywriter', 'editor', 'planner', 'buyer', 'clerk', 'strategist', 'producer',
  'teacher', 'professor', 'lecturer', 'tutor', 'instructor', 'educator', 'trainer', 'coach', 'nurse', 'physician', 'doctor',
  'clinician', 'surgeon', 'pharmacist', 'therapist', 'physiotherapist', 'dentist', 'paramedic', 'midwife', 'caregiver',
  'attorney', 'lawyer', 'paralegal', 'counsel', 'solicitor', 'barrister', 'controller', 'comptroller', 'auditor', 'treasurer',
  'actuary', 'underwriter', 'cashier', 'receptionist', 'secretary', 'executive', 'exec', 'member', 'employee', 'worker',
  'operator', 'marketer', 'salesperson', 'salesman', 'saleswoman', 'seller', 'sdr', 'bdr', 'swe', 'sde', 'sre', 'dba',
  'generalist', 'evangelist', 'ambassador', 'advocate', 'artist', 'illustrator', 'animator', 'photographer', 'videographer',
  'journalist', 'reporter', 'translator', 'investigator', 'inspector', 'estimator', 'supervisor', 'superintendent', 'foreman',
  'liaison', 'fellow', 'freelancer', 'contractor', 'volunteer', 'investor', 'broker', 'banker', 'economist', 'statistician',
  'mechanic', 'electrician', 'chef', 'pilot', 'headhunter', 'head hunter', 'rn', 'cpa', 'sysadmin',
  'product owner', 'scrum master', 'business partner', 'executive assistant', 'account executive', 'sales engineer',
  'solutions engineer', 'solution engineer', 'solutions consultant', 'solution consultant', 'media buyer',
  'teaching assistant', 'physician assistant', 'nurse practitioner', 'general counsel', 'help desk agent',
  'member of technical staff', 'analista', 'consultor', 'consultora', 'berater', 'beraterin', 'ingeniero', 'ingeniera',
  'ingenieur', 'ingenieurin', 'ingegnere', 'engenheiro', 'engenheira', 'desarrollador', 'desarrolladora', 'entwickler',
  'entwicklerin', 'vendedor', 'vendedora', 'asistente', 'assistente',
  // "Partner"/"Owner" used for a function, not a rank (the contract's "not Business Partner").
  'talent partner', 'people partner', 'hr partner', 'recruiting partner', 'talent acquisition partner', 'channel partner',
  'client partner', 'process owner', 'service owner', 'system owner', 'data owner', 'account owner', 'platform owner',
];

/** Words that decide `operations` wherever they appear ("Sales Operations", "RevOps", "People Ops"). */
export const OPERATIONS_TERMS: readonly string[] = [
  'operations', 'operation', 'ops', 'operating', 'operational', 'revops', 'salesops', 'bizops', 'mops', 'marketingops', 'peopleops', 'coo',
];

/** Words naming the top of an organisation with no domain: `executive` when the title has no other function word. */
export const EXECUTIVE_TERMS: readonly string[] = [
  'ceo', 'c.e.o.', 'president', 'founder', 'co-founder', 'cofounder', 'founding partner', 'owner', 'co-owner', 'coowner', 'proprietor',
  'self-employed', 'business owner', 'entrepreneur', 'chairman', 'chairwoman', 'chairperson', 'chair of the board', 'board chair',
  'chief executive', 'managing director', 'general manager', 'gm', 'managing partner', 'executive', 'exec', 'board member',
  'board of directors', 'non-executive director', 'independent director', 'chief of staff', 'cso', 'cco', 'cao', 'cbo', 'cxo',
  'geschäftsführer', 'geschaeftsfuehrer', 'geschäftsführerin', 'presidente', 'pdg', 'inhaber', 'inhaberin', 'propietario',
  'propietaria', 'proprietaire', 'fundador', 'fundadora', 'fondateur', 'fondatrice', 'gründer', 'gruender', 'gründerin',
];

/** Function words per function and class (`operations` and `executive` classes are above). */
export const FUNCTION_TERMS: Readonly<Record<Exclude<JobFunction, 'executive' | 'other'>, Partial<Record<'specific' | 'generic' | 'weak', readonly string[]>>>> = {
  sales: {
    specific: [
      'sales', 'selling', 'account executive', 'account manager', 'account management', 'key account', 'key accounts', 'sdr', 'bdr',
      'business development', 'business dev', 'biz dev', 'bizdev', 'inside sales', 'revenue', 'salesperson', 'salesman', 'saleswoman',
      'seller', 'partnerships', 'partnership', 'alliances', 'alliance', 'channel', 'channel partner', 'client partner', 'commercial',
      'presales', 'pre-sales', 'cro', 'sales engineer', 'solutions engineer', 'solution engineer', 'solutions consultant',
      'solution consultant', 'new business', 'vendedor', 'vendedora', 'ventas', 'vertrieb', 'vente', 'ventes',
    ],
    weak: ['account', 'accounts', 'account owner', 'territory'],
  },
  marketing: {
    specific: [
      'marketing', 'marketer', 'mktg', 'growth', 'demand generation', 'demand gen', 'lead generation', 'lead gen', 'lead nurturing',
      'content', 'brand', 'branding', 'seo', 'sem', 'ppc', 'social media', 'communications', 'communication', 'comms', 'pr',
      'public relations', 'copywriter', 'copywriting', 'advertising', 'campaign', 'campaigns', 'event', 'events', 'community',
      'evangelist', 'abm', 'media', 'media buyer', 'martech', 'influencer', 'cmo', 'cgo',
    ],
  },
  engineering: {
    generic: [
      'engineer', 'engineering', 'engr', 'eng', 'developer', 'development', 'dev', 'software', 'programmer', 'programming', 'coder',
      'devops', 'sre', 'site reliability', 'qa', 'quality assurance', 'tester', 'test', 'frontend', 'front end', 'backend', 'back end',
      'full stack', 'fullstack', 'web', 'mobile', 'ios', 'android', 'firmware', 'embedded', 'hardware', 'mechanical', 'electrical',
      'civil', 'r&d', 'research and development', 'architect', 'solutions architect', 'technology', 'tech', 'technical staff',
      'member of technical staff', 'cto', 'swe', 'sde', 'scrum master', 'cloud', 'infrastructure', 'ingeniero', 'ingeniera',
      'ingenieur', 'ingenieurin', 'ingegnere', 'engenheiro', 'engenheira', 'desarrollador', 'desarrolladora', 'entwickler', 'entwicklerin',
    ],
  },
  product: {
    specific: ['product', 'products', 'product owner', 'product management', 'cpo'],
  },
  design: {
    specific: [
      'design', 'designer', 'ux', 'ui', 'user experience', 'user interface', 'graphic', 'graphics', 'creative', 'art director',
      'illustrator', 'animator', 'visual', 'interaction',
    ],
  },
  it: {
    specific: [
      'it', 'i.t.', 'information technology', 'systems administrator', 'system administrator', 'sysadmin', 'helpdesk', 'help desk',
      'service desk', 'desktop support', 'it support', 'network', 'networking', 'dba', 'database administrator', 'cio',
      'information systems', 'erp', 'system owner',
    ],
    weak: ['information', 'systems'],
  },
  data: {
    specific: [
      'data', 'analytics', 'machine learning', 'ml', 'ai', 'artificial intelligence', 'data science', 'business intelligence', 'bi',
      'deep learning', 'nlp', 'computer vision', 'statistician', 'statistics', 'big data', 'cdo', 'mlops', 'dataops', 'data owner',
    ],
  },
  security: {
    specific: [
      'security', 'infosec', 'cybersecurity', 'cyber', 'information security', 'appsec', 'application security', 'secops',
      'devsecops', 'penetration tester', 'pentester', 'soc', 'ciso',
    ],
  },
  finance: {
    specific: [
      'finance', 'financial', 'accounting', 'accountant', 'controller', 'comptroller', 'fp&a', 'fpa', 'treasury', 'treasurer', 'tax',
      'taxation', 'audit', 'auditor', 'bookkeeper', 'bookkeeping', 'accounts payable', 'accounts receivable', 'billing', 'cpa',
      'investor relations', 'investment', 'investments', 'banking', 'banker', 'credit', 'underwriter', 'underwriting', 'actuary',
      'actuarial', 'cfo', 'revenue accounting', 'revenue recognition', 'finanzas', 'finanzen',
    ],
    weak: ['risk'],
  },
  hr: {
    specific: [
      'hr', 'h.r.', 'human resources', 'people', 'talent', 'recruiting', 'recruiter', 'recruitment', 'talent acquisition', 'sourcer',
      'headhunter', 'head hunter', 'hrbp', 'payroll', 'benefits', 'compensation', 'total rewards', 'learning and development', 'l&d',
      'organizational development', 'organisational development', 'staffing', 'chro', 'talent partner', 'people partner',
      'hr partner', 'recruiting partner', 'talent acquisition partner', 'recursos humanos', 'rrhh',
    ],
  },
  legal: {
    specific: [
      'legal', 'law', 'counsel', 'general counsel', 'attorney', 'lawyer', 'paralegal', 'compliance', 'solicitor', 'barrister',
      'privacy', 'data protection', 'regulatory',
    ],
  },
  operations: {
    specific: [
      'procurement', 'purchasing', 'supply chain', 'logistics', 'warehouse', 'facilities', 'fulfillment', 'fulfilment', 'inventory',
      'manufacturing', 'production', 'buyer',
    ],
    weak: ['project', 'projects', 'program', 'programs', 'programme', 'pmo', 'office', 'administrative', 'administration'],
  },
  customer_success: {
    specific: ['customer success', 'client success', 'partner success', 'customer experience', 'cx', 'csm'],
    weak: ['customer', 'customers', 'client', 'clients'],
  },
  support: {
    specific: [
      'support', 'customer support', 'customer service', 'customer care', 'technical support', 'tech support', 'help desk agent',
      'call center', 'call centre', 'contact center', 'contact centre',
    ],
  },
  education: {
    specific: ['teacher', 'professor', 'lecturer', 'tutor', 'instructor', 'educator', 'teaching assistant', 'dean', 'head teacher', 'headteacher'],
    weak: ['education', 'educational', 'school', 'academic', 'faculty', 'curriculum', 'learning', 'university'],
  },
  healthcare: {
    specific: [
      'nurse', 'nursing', 'physician', 'doctor', 'clinician', 'rn', 'surgeon', 'pharmacist', 'therapist', 'physiotherapist', 'dentist',
      'paramedic', 'midwife', 'caregiver', 'physician assistant', 'nurse practitioner',
    ],
    weak: ['medical', 'clinical', 'health', 'healthcare', 'hospital', 'patient', 'pharmaceutical', 'pharma'],
  },
  consulting: {
    generic: ['consultant', 'consulting', 'consultancy', 'advisory', 'advisor', 'adviser', 'management consultant', 'management consulting', 'consultor', 'consultora', 'berater', 'beraterin'],
  },
};

/** Phrases that contain a title word but mean nothing for the title ("Head Office Manager" is a manager, not a head). */
export const NEUTRAL_TERMS: readonly string[] = ['head office', 'data entry', 'front office'];

/** Terms with special handling (see TitleRule). */
export const RULE_TERMS: Readonly<Record<string, TitleRule>> = { chief: 'chief', partner: 'partner', 'managing partner': 'partner', staff: 'staff' };

/** Words that, right after "Partner", make it a qualifier ("Partner Success", "Partner Programs") rather than the rank. */
export const PARTNER_QUALIFIED: readonly string[] = [
  'success', 'relations', 'relationship', 'relationships', 'program', 'programs', 'programme', 'ecosystem', 'enablement', 'solutions',
  'alliances', 'channel', 'network', 'account', 'accounts', 'development', 'experience', 'integrations', 'onboarding', 'management',
];
