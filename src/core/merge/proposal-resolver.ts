import type { ProposedValue } from './plan-types.js';
import { planValueKey } from './plan-value-key.js';
import { sourceRank } from './source-precedence.js';
import { sourceTimestampMs } from './source-timestamp.js';

/** Why a proposal for a field lost to another proposal for the same field. */
export interface LosingProposal {
  readonly proposal: ProposedValue;
  /** `stale` when it lost on time, `precedence` when it lost on rank or a tie-break. */
  readonly skip: 'precedence' | 'stale';
  readonly detail: string;
}

/** The one proposal of a field that goes on to be planned, and the others. */
export interface ResolvedProposals {
  readonly winner: ProposedValue;
  readonly losers: readonly LosingProposal[];
}

interface Ranked {
  readonly proposal: ProposedValue;
  readonly rank: number;
  readonly at: number;
  readonly confidence: number;
  /** Built on first use: only proposals tied on everything before the value need it. */
  valueKey: string | undefined;
}

/**
 * Picks one proposal per field when several arrive together (e.g. two sources
 * coalesced in the batch lane): higher precedence rank, then newer
 * `sourceUpdatedAt`, then higher confidence, then source name (code-unit
 * order, "a" before "b"), then value and reason as final tie-breaks so the
 * choice never depends on input order. Requires at least one proposal.
 */
export function resolveProposals(proposals: readonly ProposedValue[], precedence: readonly string[] | undefined): ResolvedProposals {
  const ranked = proposals.map((proposal) => rankProposal(proposal, precedence)).sort(compareRanked);
  const [first, ...rest] = ranked;
  if (first === undefined) throw new RangeError('resolveProposals needs at least one proposal');
  return { winner: first.proposal, losers: rest.map((loser) => describeLoss(loser, first)) };
}

function rankProposal(proposal: ProposedValue, precedence: readonly string[] | undefined): Ranked {
  return {
    proposal,
    rank: sourceRank(proposal.source, precedence),
    at: sourceTimestampMs(proposal.sourceUpdatedAt),
    confidence: comparableConfidence(proposal.confidence),
    valueKey: undefined,
  };
}

/** Confidence for comparisons; NaN would make every comparison false, so it counts as 0. */
export function comparableConfidence(confidence: number): number {
  return Number.isNaN(confidence) ? 0 : confidence;
}

function compareRanked(a: Ranked, b: Ranked): number {
  return (
    b.rank - a.rank ||
    compareNumbersDesc(a.at, b.at) ||
    compareNumbersDesc(a.confidence, b.confidence) ||
    compareText(a.proposal.source, b.proposal.source) ||
    compareText(valueKeyOf(a), valueKeyOf(b)) ||
    compareText(a.proposal.sourceUpdatedAt, b.proposal.sourceUpdatedAt) ||
    compareText(a.proposal.reason, b.proposal.reason)
  );
}

function valueKeyOf(ranked: Ranked): string {
  ranked.valueKey ??= planValueKey(ranked.proposal.value);
  return ranked.valueKey;
}

// -∞ - -∞ is NaN, which `||` would treat as a tie only by accident.
function compareNumbersDesc(a: number, b: number): number {
  return a === b ? 0 : a > b ? -1 : 1;
}

/** Code-unit order, the same on every machine (unlike `localeCompare`). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describeLoss(loser: Ranked, winner: Ranked): LosingProposal {
  const by = `the proposal from "${winner.proposal.source}"`;
  if (loser.rank < winner.rank) return { proposal: loser.proposal, skip: 'precedence', detail: `${by} ranks higher in the field's precedence` };
  if (loser.at < winner.at) return { proposal: loser.proposal, skip: 'stale', detail: `${by} is newer (${winner.proposal.sourceUpdatedAt})` };
  const tieBreak = loser.confidence < winner.confidence ? 'higher confidence' : 'the tie-break on source name, then value';
  return { proposal: loser.proposal, skip: 'precedence', detail: `${by} wins on ${tieBreak}` };
}
