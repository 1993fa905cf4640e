/**
 * Rank of a source under a precedence list (highest first): the first listed
 * source ranks highest, unlisted sources rank 0, below every listed one. With
 * no list every source ranks 0, so precedence decides nothing.
 */
export function sourceRank(source: string | undefined, precedence: readonly string[] | undefined): number {
  if (precedence === undefined || source === undefined) return 0;
  const index = precedence.indexOf(source);
  return index === -1 ? 0 : precedence.length - index;
}
