import type { RateLimitPolicy } from '../core/rate-limit/token-bucket.js';
import type { DestinationConfig, HubSpotTier } from './config-schema.js';

/**
 * HubSpot's per-app limit per 10 s by tier (developers.hubspot.com usage
 * guidelines; ../shared/CRM-CONTRACTS.md §1.7).
 */
export const HUBSPOT_REQUESTS_PER_10S: Readonly<Record<HubSpotTier, number>> = {
  starter: 100,
  professional: 190,
  enterprise: 190,
  api_limit_increase: 250,
};

/**
 * Salesforce has no per-second limit, only a rolling 24 h allocation
 * (100,000 + 1,000 per licence on Enterprise; 15,000 on Developer Edition):
 * the default spreads the base allocation over the day. Set
 * `rateLimit.requests` to your org's allocation.
 */
export const SALESFORCE_DAILY_REQUESTS = 100_000;
const DAY_MS = 86_400_000;

/** Inputs per CRM request of the destination's batch calls (HubSpot batch ≤ 100; Salesforce collections ≤ 200). */
export function inputsPerRequestOf(destination: DestinationConfig): number {
  return destination.kind === 'salesforce' ? 200 : 100;
}

/**
 * The limit the governor enforces for a destination: the configured
 * `rateLimit`, with the vendor's figures where it leaves them out.
 * Undefined for a sandbox without `rateLimit`: the sandbox is not governed.
 */
export function rateLimitPolicyFor(destination: DestinationConfig): (RateLimitPolicy & { readonly maxWaitMs: number }) | undefined {
  const configured = destination.rateLimit;
  let requests: number | undefined;
  let intervalMs: number | undefined;
  if (destination.kind === 'hubspot') {
    requests = HUBSPOT_REQUESTS_PER_10S[destination.tier ?? 'starter'];
    intervalMs = 10_000;
  } else if (destination.kind === 'salesforce') {
    requests = SALESFORCE_DAILY_REQUESTS;
    intervalMs = DAY_MS;
  } else if (configured === undefined) {
    return undefined;
  }
  return {
    requests: configured?.requests ?? requests ?? 100,
    intervalMs: configured?.intervalMs ?? intervalMs ?? 10_000,
    realtimeReserve: configured?.realtimeReserve ?? 0.2,
    burst: configured?.burst ?? 0.02,
    headroom: configured?.headroom ?? 0.02,
    maxWaitMs: configured?.maxWaitMs ?? 10_000,
  };
}
