import { randomUUID } from 'node:crypto';

/** HubSpot's `StandardError`, as batch responses list it (status, category, message, errors, context, links). */
export interface StandardError {
  readonly status: 'error';
  readonly category: string;
  readonly message: string;
  readonly context: Record<string, string[]>;
  readonly errors: { message: string; code?: string; in?: string }[];
  readonly links: Record<string, string>;
}

/** The top-level error envelope of a failed call (`Error` in the v3 spec). */
export function errorBody(category: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

export function standardError(category: string, message: string, context: Record<string, string[]>, errors: StandardError['errors'] = []): StandardError {
  return { status: 'error', category, message, context, errors, links: {} };
}

/** The real 401 body (hubspot-api-nodejs#432, hubspot-api-python#129). */
export function unauthorizedBody(): Record<string, unknown> {
  return errorBody(
    'INVALID_AUTHENTICATION',
    'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
  );
}

/** A 403 for a token without the scope the call needs. */
export function missingScopesBody(scopes: readonly string[]): Record<string, unknown> {
  return errorBody(
    'MISSING_SCOPES',
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    {
      errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [...scopes] } }],
      links: { scopes: 'https://developers.hubspot.com/scopes' },
    },
  );
}

export const RATE_LIMIT_POLICIES = ['TEN_SECONDLY_ROLLING', 'SECONDLY', 'DAILY'] as const;
export type RateLimitPolicy = (typeof RATE_LIMIT_POLICIES)[number];

const POLICY_MESSAGES: Readonly<Record<RateLimitPolicy, string>> = {
  TEN_SECONDLY_ROLLING: 'You have reached your ten_secondly_rolling limit.',
  SECONDLY: 'You have reached your secondly limit.',
  DAILY: 'You have reached your daily limit.',
};

/** The real 429 body (hubspot-api-python#117); the SDK's retry decorator reads `policyName`. */
export function rateLimitBody(policy: RateLimitPolicy, portalId: number): Record<string, unknown> {
  const group = policy === 'DAILY' ? 'publicapi:private-app-api-calls-daily' : 'publicapi:private-app-api-calls-ten-secondly';
  return {
    status: 'error',
    message: POLICY_MESSAGES[policy],
    errorType: 'RATE_LIMIT',
    correlationId: randomUUID(),
    policyName: policy,
    groupName: `${group}:${portalId}`,
  };
}

/** The kind of HTML page Cloudflare puts in front of HubSpot on 502/504/524 (hubspot-php#315). */
export function cloudflareHtml(status: number): string {
  const titles: Readonly<Record<number, string>> = { 502: 'Bad gateway', 503: 'Service unavailable', 504: 'Gateway time-out', 524: 'A timeout occurred' };
  const title = titles[status] ?? 'Error';
  return [
    '<!DOCTYPE html>',
    '<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->',
    '<html lang="en-US"><head><meta charset="UTF-8" />',
    `<title>api.hubapi.com | ${status}: ${title}</title>`,
    '</head><body><div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper">',
    `<h1><span class="cf-error-type">Error</span> <span class="cf-error-code">${status}</span></h1>`,
    `<h2 class="cf-subheadline">${title}</h2>`,
    '</div></div></body></html>',
  ].join('\n');
}
