/**
 * The idempotency key of an event: source + lead id + source updated-at.
 * Two deliveries of the same source update share it; a later update of the
 * same lead gets a new one. Parts are length-prefixed so no choice of ids can
 * make two different triples collide ("a:b" + "c" vs "a" + "b:c").
 */
export function idempotencyKey(source: string, leadId: string, sourceUpdatedAt: string): string {
  // One template rather than an array, a closure and a join: this runs for every event.
  return `${source.length}:${source}|${leadId.length}:${leadId}|${sourceUpdatedAt.length}:${sourceUpdatedAt}`;
}

