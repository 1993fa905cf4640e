import type { Lane } from '../core/mapping/mapping-types.js';
import type { CrmSchema } from '../core/crm-schema/crm-schema-types.js';
import type { CrmDestination, CrmRateLimitStatus, CrmRecordFailure, ReadResult, RecordKey, UpsertInput, UpsertResult } from '../ports/crm-destination.js';
import type { RateLimitGovernor } from './rate-limit-governor.js';

export interface GovernedDestinationOptions {
  /** Which lane's share of the bucket the calls take. */
  readonly lane: Lane;
  /**
   * Inputs the CRM takes per HTTP request (HubSpot 100, Salesforce collections
   * 200): a call with more costs one token per request the adapter will make.
   * (Default: 100)
   */
  readonly inputsPerRequest?: number;
  /** Times a call refused as a whole by a 429 is sent again after Retry-After, before its failure reaches the job. (Default: 2) */
  readonly rateLimitResends?: number;
}

/**
 * A CrmDestination whose every call goes through the destination's
 * rate-limit governor: a token first (of its lane's share), then the call,
 * then the governor learns from the answer. A call refused as a whole by a
 * 429 is sent again once Retry-After has passed, so a burst does not cost a
 * job attempt; a paused destination fails calls at once, as retryable, with
 * the pause's length, so jobs are rescheduled after it.
 */
export class GovernedDestination implements CrmDestination {
  readonly name: string;
  private readonly inputsPerRequest: number;
  private readonly resends: number;

  constructor(
    private readonly inner: CrmDestination,
    private readonly governor: RateLimitGovernor,
    private readonly options: GovernedDestinationOptions,
  ) {
    this.name = inner.name;
    this.inputsPerRequest = Math.max(1, options.inputsPerRequest ?? 100);
    this.resends = Math.max(0, options.rateLimitResends ?? 2);
  }

  async describe(): Promise<CrmSchema> {
    // Discovery is a call like any other; it has no per-record result to learn from.
    const admission = await this.governor.admit(this.options.lane, 1);
    if (!admission.ok) throw new Error(`cannot describe ${this.name}: ${admission.failure.code} ${admission.failure.message}`);
    return this.inner.describe();
  }

  read(object: string, keys: readonly RecordKey[]): Promise<readonly ReadResult[]> {
    return this.governed(keys.length, () => this.inner.read(object, keys));
  }

  upsert(object: string, inputs: readonly UpsertInput[]): Promise<readonly UpsertResult[]> {
    return this.governed(inputs.length, () => this.inner.upsert(object, inputs));
  }

  rateLimitStatus(): CrmRateLimitStatus | undefined {
    return this.inner.rateLimitStatus?.();
  }

  private async governed<R extends { readonly ok: true } | CrmRecordFailure>(count: number, call: () => Promise<readonly R[]>): Promise<readonly R[]> {
    if (count === 0) return call();
    const cost = Math.ceil(count / this.inputsPerRequest);
    for (let sent = 0; ; sent += 1) {
      const admission = await this.governor.admit(this.options.lane, cost);
      if (!admission.ok) return Array.from({ length: count }, () => admission.failure as R);
      const results = await call();
      const { resend } = await this.governor.learn(results, this.inner.rateLimitStatus?.());
      if (!resend || sent >= this.resends) return results;
    }
  }
}
