import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeadsyncError } from '../../../src/core/errors/error-codes.js';
import { JOB_FUNCTIONS, SENIORITIES, type JobFunction, type Seniority } from '../../../src/core/normalize/normalizer-types.js';
import { createTitleNormalizer, titleTokens } from '../../../src/core/normalize/title-normalizer.js';
import { FUNCTION_TERMS } from '../../../src/core/normalize/title-taxonomy.js';

const title = createTitleNormalizer();

function expectTitle(value: string, fn: JobFunction, seniority: Seniority): void {
  const result = title(value);
  expect(result, value).toEqual({ ok: true, value: { function: fn, seniority } });
}

describe('title: the contract examples', () => {
  it.each<[string, JobFunction, Seniority]>([
    ['Sr. Manager, Demand Gen', 'marketing', 'manager'],
    ['Chief Data Officer', 'data', 'c_suite'],
    ['Senior Vice President of Engineering', 'engineering', 'vp'],
    ['Marketing Operations Specialist', 'operations', 'entry'],
  ])('%s -> %s/%s', expectTitle);
});

describe('title: seniority rules', () => {
  it.each<[string, Seniority]>([
    // c_suite: Chief … Officer, CxO acronyms, President not in Vice President
    ['Chief Revenue Officer', 'c_suite'],
    ['chief information security officer', 'c_suite'],
    ['CFO', 'c_suite'],
    ['cto', 'c_suite'],
    ['CISO', 'c_suite'],
    ['CHRO', 'c_suite'],
    ['C.E.O.', 'c_suite'],
    ['Interim COO', 'c_suite'],
    ['President', 'c_suite'],
    ['President and COO', 'c_suite'],
    ['Chief Executive', 'c_suite'],
    // vp
    ['Vice President', 'vp'],
    ['Vice-President, Finance', 'vp'],
    ['VP, Product', 'vp'],
    ['V.P. Sales', 'vp'],
    ['SVP Sales', 'vp'],
    ['EVP', 'vp'],
    ['AVP Risk', 'vp'],
    ['Assistant Vice President', 'vp'],
    ['Associate Vice President of Finance', 'vp'],
    ['Executive Vice President', 'vp'],
    // head
    ['Head of Finance', 'head'],
    ['Head of Talent', 'head'],
    // director
    ['Director', 'director'],
    ['Dir. of Marketing', 'director'],
    ['Senior Director, Product', 'director'],
    ['Associate Director of Engineering', 'director'],
    ['Regional Director', 'director'],
    ['Managing Director', 'director'],
    // manager; "Management" alone is no manager
    ['Manager', 'manager'],
    ['Mgr, Accounts Payable', 'manager'],
    ['Senior Manager, Finance', 'manager'],
    ['Engineering Manager', 'manager'],
    ['Management Consultant', 'entry'],
    ['Product Management Lead', 'senior'],
    // senior ICs
    ['Senior Accountant', 'senior'],
    ['Sr Developer', 'senior'],
    ['Sr. Recruiter', 'senior'],
    ['Staff Data Engineer', 'senior'],
    ['Principal Product Designer', 'senior'],
    ['Lead Designer', 'senior'],
    ['Team Lead, Support', 'senior'],
    // intern beats the entry fallback
    ['Intern', 'intern'],
    ['Marketing Internship', 'intern'],
    ['Graduate Trainee', 'intern'],
    ['Working Student, Finance', 'intern'],
    ['Software Engineer Intern', 'intern'],
    // partner, not Business Partner
    ['Partner', 'partner'],
    ['Managing Partner', 'partner'],
    ['Audit Partner', 'partner'],
    ['HR Business Partner', 'entry'],
    ['Finance Business Partner', 'entry'],
    ['Talent Acquisition Partner', 'entry'],
    ['Partner Manager', 'manager'],
    ['Partner Marketing Specialist', 'entry'],
    // owner, founder
    ['Owner', 'owner'],
    ['Co-Owner', 'owner'],
    ['Founder', 'founder'],
    ['Co-Founder', 'founder'],
    ['Cofounder & President', 'founder'],
    ['Owner / Founder', 'owner'],
    ['Product Owner', 'entry'],
    // entry: any other recognised role
    ['Software Engineer', 'entry'],
    ['Developer', 'entry'],
    ['Financial Analyst', 'entry'],
    ['Sales Representative', 'entry'],
    ['Associate', 'entry'],
    ['Specialist', 'entry'],
    ['Coordinator', 'entry'],
    ['Accountant', 'entry'],
    ['Recruiter', 'entry'],
    ['Designer', 'entry'],
    ['Marketing', 'entry'],
  ])('%s -> %s', (value, seniority) => {
    const result = title(value);
    expect(result.ok && result.value.seniority, value).toBe(seniority);
  });

  it('takes the highest rank when several are present', () => {
    expectTitle('Founder, CEO & Owner', 'executive', 'owner');
    expectTitle('Co-Founder & Chief Technology Officer', 'engineering', 'founder');
    expectTitle('EVP & Chief Financial Officer', 'finance', 'c_suite');
    expectTitle('Partner and Head of Tax', 'finance', 'partner');
    expectTitle('Senior Director and Head of Design', 'design', 'head');
  });
});

describe('title: function rules', () => {
  it.each<[string, JobFunction]>([
    // CxO titles map to their domain
    ['CTO', 'engineering'],
    ['CFO', 'finance'],
    ['CMO', 'marketing'],
    ['CRO', 'sales'],
    ['CIO', 'it'],
    ['CISO', 'security'],
    ['COO', 'operations'],
    ['Chief Product Officer', 'product'],
    ['Chief People Officer', 'hr'],
    ['CHRO', 'hr'],
    ['CDO', 'data'],
    ['Chief Customer Officer', 'customer_success'],
    ['Chief Revenue Officer', 'sales'],
    ['Chief Legal Officer', 'legal'],
    ['Chief Medical Officer', 'healthcare'],
    ['Chief Happiness Officer', 'executive'],
    ['Chief Strategy Officer', 'executive'],
    // executive only without another domain word
    ['CEO', 'executive'],
    ['President', 'executive'],
    ['Founder', 'executive'],
    ['Owner', 'executive'],
    ['Founder & CTO', 'engineering'],
    ['CEO and Head of Sales', 'sales'],
    // specific beats generic
    ['Data Engineer', 'data'],
    ['Analytics Engineer', 'data'],
    ['Machine Learning Engineer', 'data'],
    ['ML Ops Engineer', 'operations'],
    ['AI Research Scientist', 'data'],
    ['Security Engineer', 'security'],
    ['InfoSec Analyst', 'security'],
    ['UX Engineer', 'design'],
    ['UI Developer', 'design'],
    ['Design Engineer', 'design'],
    // operations wins wherever it appears
    ['Sales Operations Manager', 'operations'],
    ['Revenue Operations Analyst', 'operations'],
    ['Head of RevOps', 'operations'],
    ['Marketing Ops Lead', 'operations'],
    ['VP Operations', 'operations'],
    // sales
    ['Account Executive', 'sales'],
    ['Key Account Manager', 'sales'],
    ['SDR', 'sales'],
    ['BDR Manager', 'sales'],
    ['Business Development Director', 'sales'],
    ['Inside Sales Representative', 'sales'],
    // marketing
    ['Growth Lead', 'marketing'],
    ['Demand Generation Manager', 'marketing'],
    ['Content Strategist', 'marketing'],
    ['Brand Director', 'marketing'],
    ['SEO Manager', 'marketing'],
    ['Head of Communications', 'marketing'],
    ['PR Specialist', 'marketing'],
    ['Lead Generation Specialist', 'marketing'],
    // engineering
    ['Software Developer', 'engineering'],
    ['DevOps Engineer', 'engineering'],
    ['Site Reliability Engineer', 'engineering'],
    ['QA Analyst', 'engineering'],
    ['Frontend Engineer', 'engineering'],
    ['Back-end Developer', 'engineering'],
    ['Full Stack Developer', 'engineering'],
    // it, finance, hr, legal
    ['IT Manager', 'it'],
    ['Information Technology Director', 'it'],
    ['Systems Administrator', 'it'],
    ['Helpdesk Technician', 'it'],
    ['Financial Controller', 'finance'],
    ['FP&A Manager', 'finance'],
    ['Treasury Analyst', 'finance'],
    ['Accounting Clerk', 'finance'],
    ['Human Resources Manager', 'hr'],
    ['Head of People', 'hr'],
    ['Talent Acquisition Lead', 'hr'],
    ['Technical Recruiter', 'hr'],
    ['Corporate Counsel', 'legal'],
    ['Attorney', 'legal'],
    ['Paralegal', 'legal'],
    ['Compliance Manager', 'legal'],
    // customer success vs support
    ['Customer Success Manager', 'customer_success'],
    ['Customer Support Specialist', 'support'],
    ['Customer Service Representative', 'support'],
    ['Help Desk Agent', 'support'],
    ['Technical Support Engineer', 'support'],
    // education, healthcare, consulting
    ['Teacher', 'education'],
    ['Assistant Professor', 'education'],
    ['Senior Lecturer', 'education'],
    ['Registered Nurse', 'healthcare'],
    ['Physician', 'healthcare'],
    ['Clinician', 'healthcare'],
    ['Senior Consultant', 'consulting'],
    ['Consulting Manager', 'consulting'],
    ['Management Consultant', 'consulting'],
    // product, design
    ['Product Manager', 'product'],
    ['Product Owner', 'product'],
    ['Product Designer', 'design'],
    ['Product Marketing Manager', 'marketing'],
    // nothing known
    ['Vice President', 'other'],
    ['Director', 'other'],
    ['Associate', 'other'],
  ])('%s -> %s', (value, fn) => {
    const result = title(value);
    expect(result.ok && result.value.function, value).toBe(fn);
  });

  it('orders several function words: first segment with a domain word, specific before generic, the last one wins', () => {
    expectTitle('Marketing Data Analyst', 'data', 'entry');
    expectTitle('Security Sales Engineer', 'sales', 'entry');
    expectTitle('Sales Engineer', 'sales', 'entry');
    expectTitle('Marketing & Sales Director', 'marketing', 'director');
    expectTitle('Sales & Marketing Director', 'sales', 'director');
    expectTitle('Software Engineer, Growth', 'engineering', 'entry');
    expectTitle('Director, Growth', 'marketing', 'director');
    expectTitle('IT Consultant', 'it', 'entry');
    expectTitle('Medical Sales Representative', 'sales', 'entry');
    expectTitle('Project Engineer', 'engineering', 'entry');
    expectTitle('Program Manager', 'operations', 'manager');
  });
});

describe('title: tolerance of case, punctuation and abbreviations', () => {
  it.each<[string, JobFunction, Seniority]>([
    ['SR. MGR, DEMAND GEN', 'marketing', 'manager'],
    ['sr mgr demand gen', 'marketing', 'manager'],
    ['VP,Sales', 'sales', 'vp'],
    ['VP/Sales', 'sales', 'vp'],
    ['VP - Sales', 'sales', 'vp'],
    ['Dir., Engineering', 'engineering', 'director'],
    ['Snr. Accountant', 'finance', 'senior'],
    ['Sr.Accountant', 'finance', 'senior'],
    ['Founder & CEO', 'executive', 'founder'],
    ['Founder/CEO', 'executive', 'founder'],
    ['Founder + CEO', 'executive', 'founder'],
    ['Full-Stack Engineer', 'engineering', 'entry'],
    ['Co‑Founder', 'executive', 'founder'],
    ['Head of R&D', 'engineering', 'head'],
    ['Directeur Général', 'other', 'director'],
    ['  Head   of   Data  ', 'data', 'head'],
    ["Women's Health Nurse", 'healthcare', 'entry'],
  ])('%s -> %s/%s', expectTitle);

  it('reads text after "at", "@" or "to" as the employer or boss, not the role', () => {
    expectTitle('Executive Assistant to the CEO', 'other', 'entry');
    expectTitle('Account Executive at Acme Security', 'sales', 'entry');
    expectTitle('Engineer @ Acme Marketing', 'engineering', 'entry');
    expectTitle('Attorney at Law', 'legal', 'entry');
  });

  it('does not read words inside other words', () => {
    expectTitle('Internal Auditor', 'finance', 'entry');
    expectTitle('Headhunter', 'hr', 'entry');
    expectTitle('Head Office Manager', 'other', 'manager');
  });

  it('tokenises titles into words and segment breaks', () => {
    expect(titleTokens("Sr. Mgr, FP&A / Women's R&D")).toEqual(['sr', 'mgr', ',', 'fpa', ',', 'womens', 'rd']);
    expect(titleTokens('Founder & CTO - Acme')).toEqual(['founder', 'and', 'cto', ',', 'acme']);
    expect(titleTokens('Co-Founder')).toEqual(['co', 'founder']);
  });
});

describe('title: errors', () => {
  it.each(['Ninja', 'Rockstar', 'Management', 'asdf qwerty', '12345', '---', 'The Best'])('%s is unrecognised', (value) => {
    const result = title(value);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.code).toBe('NORMALIZE_TITLE_UNRECOGNISED');
    expect(!result.ok && result.message).toContain(value);
  });

  it.each(['', '   '])('%j is empty', (value) => {
    const result = title(value);
    expect(!result.ok && result.code).toBe('NORMALIZE_EMPTY_VALUE');
  });
});

describe('title: config overrides', () => {
  it('adds function keywords that are checked before the defaults', () => {
    const custom = createTitleNormalizer({ functions: { sales: ['growth'], marketing: ['rev ops'], support: ['Happiness Hero'] } });
    expect(custom('Head of Growth')).toEqual({ ok: true, value: { function: 'sales', seniority: 'head' } });
    expect(custom('Growth Engineer')).toEqual({ ok: true, value: { function: 'sales', seniority: 'entry' } });
    expect(custom('Rev-Ops Manager')).toEqual({ ok: true, value: { function: 'marketing', seniority: 'manager' } });
    expect(custom('Happiness Hero')).toEqual({ ok: true, value: { function: 'support', seniority: 'entry' } });
    // the defaults are untouched elsewhere
    expect(title('Head of Growth')).toEqual({ ok: true, value: { function: 'marketing', seniority: 'head' } });
  });

  it('keeps the seniority of default words inside a function phrase', () => {
    const custom = createTitleNormalizer({ functions: { customer_success: ['account director'] } });
    expect(custom('Senior Account Director')).toEqual({ ok: true, value: { function: 'customer_success', seniority: 'director' } });
  });

  it('adds seniority keywords', () => {
    const custom = createTitleNormalizer({ seniorities: { senior: ['expert'], entry: ['staff accountant'], c_suite: ['Geschäftsleitung'] } });
    expect(custom('Expert Engineer')).toEqual({ ok: true, value: { function: 'engineering', seniority: 'senior' } });
    expect(custom('Staff Accountant')).toEqual({ ok: true, value: { function: 'finance', seniority: 'entry' } });
    expect(title('Staff Accountant')).toEqual({ ok: true, value: { function: 'finance', seniority: 'senior' } });
    expect(custom('Geschaeftsleitung')).toEqual({ ok: false, code: 'NORMALIZE_TITLE_UNRECOGNISED', message: expect.any(String) as string });
    expect(custom('GESCHÄFTSLEITUNG')).toEqual({ ok: true, value: { function: 'other', seniority: 'c_suite' } });
  });

  it('refuses keywords without letters and a keyword in two seniorities', () => {
    expect(() => createTitleNormalizer({ functions: { sales: ['&&'] } })).toThrow(LeadsyncError);
    expect(() => createTitleNormalizer({ seniorities: { vp: ['boss'], head: ['boss'] } })).toThrow(/boss/);
  });
});

describe('title: properties', () => {
  const roleWords = ['Engineer', 'Manager', 'Director', 'Analyst', 'Designer', 'VP', 'Head of', 'Lead', 'Intern', 'Specialist', 'Partner', 'Chief', 'Officer'];
  const domainWords = ['Sales', 'Marketing', 'Data', 'Security', 'Finance', 'HR', 'Product', 'Operations', 'Legal', 'IT', 'Support', 'Design', 'Software'];
  const fillerWords = ['Global', 'Regional', 'EMEA', 'of', 'North America', 'Enterprise'];
  const titles = fc
    .array(fc.constantFrom(...roleWords, ...domainWords, ...fillerWords), { minLength: 1, maxLength: 5 })
    .map((words) => words.join(' '));

  it('every result is in the closed sets', () => {
    fc.assert(
      fc.property(titles, (value) => {
        const result = title(value);
        if (result.ok) {
          expect(JOB_FUNCTIONS).toContain(result.value.function);
          expect(SENIORITIES).toContain(result.value.seniority);
        } else {
          expect(result.code).toBe('NORMALIZE_TITLE_UNRECOGNISED');
        }
      }),
    );
  });

  // Messages quote the input, so compare what was decided.
  const decided = (value: string): unknown => {
    const result = title(value);
    return result.ok ? result.value : result.code;
  };

  it('ignores letter case and dots', () => {
    fc.assert(
      fc.property(titles, (value) => {
        expect(decided(value.toUpperCase())).toEqual(decided(value));
        expect(decided(value.toLowerCase().replace(/ /g, '. '))).toEqual(decided(value));
      }),
    );
  });

  it('a "Senior" prefix gives max(rank, senior) and keeps the function', () => {
    const seniorRank = SENIORITIES.indexOf('senior');
    fc.assert(
      fc.property(titles, (value) => {
        const plain = title(value);
        fc.pre(plain.ok);
        const prefixed = title(`Senior ${value}`);
        if (!plain.ok || !prefixed.ok) throw new Error('expected both to be recognised');
        expect(prefixed.value.function).toBe(plain.value.function);
        expect(SENIORITIES.indexOf(prefixed.value.seniority)).toBe(Math.min(SENIORITIES.indexOf(plain.value.seniority), seniorRank));
      }),
    );
  });

  it('an employer after "at" changes nothing', () => {
    fc.assert(
      fc.property(titles, fc.constantFrom('Acme Security', 'Data Corp', 'the CEO Office', 'Sales Partners'), (value, employer) => {
        expect(decided(`${value} at ${employer}`)).toEqual(decided(value));
      }),
    );
  });

  it('the taxonomy covers every function but executive and other', () => {
    expect(Object.keys(FUNCTION_TERMS).sort()).toEqual(JOB_FUNCTIONS.filter((fn) => fn !== 'executive' && fn !== 'other').sort());
  });
});
