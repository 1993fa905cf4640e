import { LeadsyncError } from '../errors/error-codes.js';
import { foldAccents } from './accent-folding.js';
import {
  JOB_FUNCTIONS,
  SENIORITIES,
  notNormalized,
  type JobFunction,
  type NormalizeResult,
  type NormalizerOverrides,
  type Seniority,
  type TitleValue,
} from './normalizer-types.js';
import {
  EXECUTIVE_TERMS,
  FUNCTION_TERMS,
  NEUTRAL_TERMS,
  OPERATIONS_TERMS,
  PARTNER_QUALIFIED,
  ROLE_TERMS,
  RULE_TERMS,
  SENIORITY_TERMS,
  type FunctionClass,
  type TitleRule,
} from './title-taxonomy.js';

/**
 * Job title -> `{ function, seniority }` (NORMALIZATION.md "title").
 *
 * A title is lower-cased, accent-folded and split into words; commas, "/",
 * "|", parentheses, ":" and "&"/"and" split it into segments ("Sr. Manager,
 * Demand Gen" has two). Text after "at", "@" or "to" names an employer or a
 * boss, not the role, and is ignored ("Assistant to the CEO" is not c_suite).
 * At each word the longest taxonomy term is matched (config terms first).
 *
 * Seniority: the highest rank present; else `intern` when an intern word is
 * present (it beats the entry fallback: "Software Engineer Intern"); else
 * `entry` for any other recognised role or function word.
 *
 * Function, in this priority:
 * 1. config keywords (normalizers.title.functions);
 * 2. operations words anywhere ("Sales Operations", "RevOps") -> operations;
 * 3. domain words of the first segment that has any: a specific word beats a
 *    generic one (engineer, developer, software, technology, consultant), and
 *    of several the last wins, because English titles put the head last
 *    ("Product Marketing Manager" -> marketing, "Marketing Data Analyst" ->
 *    data, "Security Sales Engineer" -> sales);
 * 4. weak context words (customer, medical, project, account, …);
 * 5. executive words (CEO, President, Founder, Owner, Managing Director, …),
 *    and "Chief … Officer" of no known domain ("Chief Happiness Officer");
 * 6. otherwise `other`.
 * No role word and no function word at all is NORMALIZE_TITLE_UNRECOGNISED.
 */
export type TitleNormalizer = (value: string) => NormalizeResult<TitleValue>;

// Class ranks; a config keyword outranks every default class.
const CLASS_RANK: Readonly<Record<FunctionClass | 'config', number>> = { config: 5, operations: 4, specific: 3, generic: 2, weak: 1, executive: 0 };
const CLASS_ORDER: readonly number[] = Object.values(CLASS_RANK).sort((a, b) => b - a);
const RANK_OF = new Map<Seniority, number>(SENIORITIES.map((seniority, index) => [seniority, index]));
const NO_RANK: number = SENIORITIES.length;
const ENTRY_RANK = SENIORITIES.indexOf('entry');
const INTERN_RANK = SENIORITIES.indexOf('intern');
const SEGMENT_BREAK = ',';
const CONNECTOR = 'and';
const CUT_WORDS = new Set(['at', 'to']);
// "FP&A", "R&D", "L&D", "M&A": an ampersand inside a short acronym joins it, elsewhere it means "and".
const ACRONYM_AMPERSAND = /(^|[^a-z0-9])([a-z]{1,2})&([a-z])(?![a-z0-9])/g;

interface TermEntry {
  seniority?: Seniority;
  role: boolean;
  fn?: JobFunction;
  fnRank: number;
  rule?: TitleRule;
}

interface TrieNode {
  entry?: TermEntry;
  next?: Map<string, TrieNode>;
}

const BREAK_CHARS = new Set([',', ';', '/', '\\', '|', '(', ')', '[', ']', ':', '+', '•', '·'].map((c) => c.charCodeAt(0)));
const DASHES = new Set([0x2d, 0x2013, 0x2014]);
const APOSTROPHES = /['’`]/g;
const NON_ASCII_WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

/** Splits a title (or a taxonomy term) into words and segment breaks, as described on TitleNormalizer. */
export function titleTokens(text: string): string[] {
  let lower = foldAccents(text);
  if (lower.includes('&')) lower = lower.replace(ACRONYM_AMPERSAND, '$1$2$3');
  const tokens: string[] = [];
  let start = -1;
  let apostrophe = false;
  for (let i = 0; i <= lower.length; i++) {
    const code = i < lower.length ? lower.charCodeAt(i) : 32;
    if ((code >= 97 && code <= 122) || (code >= 48 && code <= 57)) {
      if (start < 0) start = i;
      continue;
    }
    // Apostrophes join ("Women's" -> "womens"); they never start a word.
    if (code === 39 || code === 0x2019 || code === 96) {
      if (start >= 0) apostrophe = true;
      continue;
    }
    if (code > 127 && !BREAK_CHARS.has(code) && !DASHES.has(code) && NON_ASCII_WORD_CHAR.test(lower.charAt(i))) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      const word = lower.slice(start, i);
      tokens.push(apostrophe ? word.replace(APOSTROPHES, '') : word);
      start = -1;
      apostrophe = false;
    }
    if (code === 38 /* & */) tokens.push(CONNECTOR);
    else if (code === 64 /* @ */) tokens.push('at');
    else if (BREAK_CHARS.has(code)) tokens.push(SEGMENT_BREAK);
    // A dash between spaces separates ("CEO - Acme"); inside a word it is a hyphen ("Co-Founder").
    else if (DASHES.has(code) && lower.charCodeAt(i - 1) === 32 && lower.charCodeAt(i + 1) === 32) tokens.push(SEGMENT_BREAK);
  }
  return tokens;
}

function isBreak(token: string | undefined): boolean {
  return token === SEGMENT_BREAK || token === CONNECTOR;
}

class TermTrie {
  private readonly root = new Map<string, TrieNode>();

  get size(): number {
    return this.root.size;
  }

  starts(token: string): boolean {
    return this.root.has(token);
  }

  /** The entry stored for exactly these tokens, creating it from `create` when absent. */
  upsert(tokens: readonly string[], create: () => TermEntry): TermEntry {
    let level = this.root;
    let node: TrieNode | undefined;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i] as string;
      node = level.get(token);
      if (!node) {
        node = {};
        level.set(token, node);
      }
      if (i < tokens.length - 1) level = node.next ??= new Map();
    }
    if (!node) throw new RangeError('empty term');
    return (node.entry ??= create());
  }

  /** Length of the last `longest` match. Set by `longest` to spare a tuple per match. */
  matchLength = 0;

  /** Longest entry starting at `from` (its length in `matchLength`); no match crosses a segment break. */
  longest(tokens: readonly string[], from: number): TermEntry | undefined {
    let level: Map<string, TrieNode> | undefined = this.root;
    let found: TermEntry | undefined;
    for (let i = from; level && i < tokens.length; i++) {
      const token = tokens[i] as string;
      if (token === SEGMENT_BREAK) break;
      const node = level.get(token);
      if (!node) break;
      if (node.entry) {
        found = node.entry;
        this.matchLength = i - from + 1;
      }
      level = node.next;
    }
    return found;
  }
}

interface TitleAnalysis {
  /** Rank index of the highest rank word, or NO_RANK. */
  rank: number;
  intern: boolean;
  recognised: boolean;
  fn: JobFunction | undefined;
  fnRank: number;
}

function termTokens(term: string, where: string): string[] {
  const tokens = titleTokens(term).filter((token) => token !== SEGMENT_BREAK);
  if (tokens.every((token) => token === CONNECTOR)) throw new LeadsyncError('CONFIG_INVALID', `${where}: the term "${term}" has no letters or digits`);
  return tokens;
}

function setSeniority(entry: TermEntry, seniority: Seniority, term: string): void {
  if (entry.seniority !== undefined && entry.seniority !== seniority) {
    throw new LeadsyncError('CONFIG_INVALID', `title term "${term}" is both ${entry.seniority} and ${seniority}`);
  }
  if (seniority === 'entry') entry.role = true;
  else entry.seniority = seniority;
}

function setFunction(entry: TermEntry, fn: JobFunction, fnRank: number, term: string): void {
  if (entry.fn !== undefined && entry.fnRank === fnRank && entry.fn !== fn) {
    throw new LeadsyncError('CONFIG_INVALID', `title term "${term}" names both ${entry.fn} and ${fn}`);
  }
  if (entry.fn === undefined || fnRank > entry.fnRank) {
    entry.fn = fn;
    entry.fnRank = fnRank;
  }
}

function buildDefaultTrie(): TermTrie {
  const trie = new TermTrie();
  const entryFor = (term: string): TermEntry => trie.upsert(termTokens(term, 'title taxonomy'), () => ({ role: false, fnRank: -1 }));
  for (const [seniority, terms] of Object.entries(SENIORITY_TERMS) as [Seniority, readonly string[]][]) {
    for (const term of terms) setSeniority(entryFor(term), seniority, term);
  }
  for (const term of ROLE_TERMS) entryFor(term).role = true;
  for (const [fn, classes] of Object.entries(FUNCTION_TERMS) as [JobFunction, Partial<Record<FunctionClass, readonly string[]>>][]) {
    for (const [cls, terms] of Object.entries(classes) as [FunctionClass, readonly string[]][]) {
      for (const term of terms) setFunction(entryFor(term), fn, CLASS_RANK[cls], term);
    }
  }
  for (const term of OPERATIONS_TERMS) setFunction(entryFor(term), 'operations', CLASS_RANK.operations, term);
  for (const term of EXECUTIVE_TERMS) setFunction(entryFor(term), 'executive', CLASS_RANK.executive, term);
  for (const term of NEUTRAL_TERMS) entryFor(term);
  for (const [term, rule] of Object.entries(RULE_TERMS)) entryFor(term).rule = rule;
  return trie;
}

// The default taxonomy is the same for every config: compile it once per process.
let defaultTrie: TermTrie | undefined;

/** Creates the title normalizer with the config's extra keywords compiled in. */
export function createTitleNormalizer(overrides: NormalizerOverrides['title'] = {}): TitleNormalizer {
  const defaults = (defaultTrie ??= buildDefaultTrie());
  const custom = new TermTrie();
  const partnerQualified = new Set(PARTNER_QUALIFIED);
  // Results are shared, immutable objects: one per (function, seniority), so a call allocates no result.
  const results = new Map<JobFunction, readonly NormalizeResult<TitleValue>[]>(
    JOB_FUNCTIONS.map((fn) => [fn, SENIORITIES.map((seniority) => Object.freeze({ ok: true as const, value: Object.freeze({ function: fn, seniority }) }))]),
  );

  const analyse = (tokens: readonly string[]): TitleAnalysis => {
    let rank = NO_RANK;
    let intern = false;
    let recognised = false;
    let segment = 0;
    let skip = -1;
    // Per class: the segment of its first hit and the last function seen in that segment.
    const classSegment: number[] = [-1, -1, -1, -1, -1, -1];
    const classFn: (JobFunction | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
    let domainSegment = -1;

    for (let i = 0; i < tokens.length; ) {
      const token = tokens[i] as string;
      if (isBreak(token)) {
        segment++;
        i++;
        continue;
      }
      if (i > 0 && CUT_WORDS.has(token)) break;
      if (i === skip) {
        i++;
        continue;
      }
      const customEntry = custom.size > 0 ? custom.longest(tokens, i) : undefined;
      const entry = customEntry ?? defaults.longest(tokens, i);
      if (!entry) {
        i++;
        continue;
      }
      const length = customEntry ? custom.matchLength : defaults.matchLength;
      let seniority = entry.seniority;
      let role = entry.role;
      const next = tokens[i + length];
      if (entry.rule === 'chief') {
        const officer = findInSegment(tokens, i + length, 'officer');
        if (officer >= 0) {
          seniority = 'c_suite';
          skip = officer;
        }
      } else if (entry.rule === 'partner') {
        if (next !== undefined && !isBreak(next) && (defaults.starts(next) || custom.starts(next) || partnerQualified.has(next))) {
          seniority = undefined;
        }
      } else if (entry.rule === 'staff') {
        if (next === undefined || isBreak(next) || !(defaults.starts(next) || custom.starts(next))) {
          seniority = undefined;
          role = true;
        }
      }

      if (seniority === 'intern') intern = true;
      else if (seniority !== undefined) rank = Math.min(rank, RANK_OF.get(seniority) ?? NO_RANK);
      if (seniority !== undefined || role || entry.fn !== undefined) recognised = true;

      if (entry.fn !== undefined) {
        const cls = entry.fnRank;
        if (classSegment[cls] === -1) classSegment[cls] = segment;
        if (classSegment[cls] === segment) classFn[cls] = entry.fn;
        if ((cls === CLASS_RANK.specific || cls === CLASS_RANK.generic) && domainSegment === -1) domainSegment = segment;
      }
      // "Chief Happiness Officer": a chief of no known domain is executive.
      if (seniority === 'c_suite' && entry.rule === 'chief' && classSegment[CLASS_RANK.executive] === -1) {
        classSegment[CLASS_RANK.executive] = segment;
        classFn[CLASS_RANK.executive] = 'executive';
      }
      i += length;
    }

    let fn: JobFunction | undefined;
    let fnRank = -1;
    for (const cls of CLASS_ORDER) {
      const isDomain = cls === CLASS_RANK.specific || cls === CLASS_RANK.generic;
      // Specific and generic words only count in the first segment that has either.
      if (classFn[cls] !== undefined && (!isDomain || classSegment[cls] === domainSegment)) {
        fn = classFn[cls];
        fnRank = cls;
        break;
      }
    }
    return { rank, intern, recognised, fn, fnRank };
  };

  // Config terms keep what the default words inside them mean, except the part they override.
  const customEntry = (term: string, where: string): TermEntry => {
    const tokens = termTokens(term, where);
    return custom.upsert(tokens, () => {
      const inner = analyse(tokens);
      const entry: TermEntry = { role: inner.recognised, fnRank: inner.fnRank };
      if (inner.rank < NO_RANK) entry.seniority = SENIORITIES[inner.rank] as Seniority;
      else if (inner.intern) entry.seniority = 'intern';
      if (inner.fn !== undefined) entry.fn = inner.fn;
      return entry;
    });
  };
  const customSeniority = new Set<TermEntry>();
  for (const [seniority, terms] of Object.entries(overrides.seniorities ?? {}) as [Seniority, readonly string[] | undefined][]) {
    for (const term of terms ?? []) {
      const entry = customEntry(term, `normalizers.title.seniorities.${seniority}`);
      if (!customSeniority.has(entry)) {
        delete entry.seniority;
        entry.role = false;
        customSeniority.add(entry);
      }
      setSeniority(entry, seniority, term);
    }
  }
  const customFunction = new Set<TermEntry>();
  for (const [fn, terms] of Object.entries(overrides.functions ?? {}) as [JobFunction, readonly string[] | undefined][]) {
    for (const term of terms ?? []) {
      const entry = customEntry(term, `normalizers.title.functions.${fn}`);
      if (!customFunction.has(entry)) {
        delete entry.fn;
        entry.fnRank = -1;
        customFunction.add(entry);
      }
      setFunction(entry, fn, CLASS_RANK.config, term);
    }
  }

  return (value: string): NormalizeResult<TitleValue> => {
    if (value.trim() === '') return notNormalized('NORMALIZE_EMPTY_VALUE', 'The job title is empty');
    const analysis = analyse(titleTokens(value));
    if (!analysis.recognised) {
      return notNormalized('NORMALIZE_TITLE_UNRECOGNISED', `No recognised role or function word in the title "${value}"`);
    }
    const rank = analysis.rank < NO_RANK ? analysis.rank : analysis.intern ? INTERN_RANK : ENTRY_RANK;
    const result = results.get(analysis.fn ?? 'other')?.[rank];
    if (!result) throw new RangeError(`no title result for ${analysis.fn ?? 'other'} at rank ${rank}`);
    return result;
  };
}

function findInSegment(tokens: readonly string[], from: number, word: string): number {
  for (let i = from; i < tokens.length; i++) {
    const token = tokens[i];
    if (isBreak(token) || CUT_WORDS.has(token as string)) return -1;
    if (token === word) return i;
  }
  return -1;
}
