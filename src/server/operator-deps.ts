import type { ApprovalActionDeps } from '../app/approval-actions.js';
import type { DeadLetterActionDeps } from '../app/dead-letter-actions.js';
import type { Runtime } from './runtime.js';

/** Dependencies of the operator use cases (DLQ, approvals), wired from one runtime. */
export interface OperatorDeps {
  readonly deadLetters: DeadLetterActionDeps;
  readonly approvals: ApprovalActionDeps;
}

/**
 * Wires the DLQ and approval use cases to a runtime: its storage, CRM,
 * current planning contexts and match fields. Shared by the HTTP routes and
 * the CLI so both act the same way.
 */
export function operatorDeps(runtime: Runtime, now: () => Date): OperatorDeps {
  return {
    deadLetters: { storage: runtime.storage, crm: runtime.crm, contextFor: (source) => runtime.contexts.get(source), now },
    approvals: {
      storage: runtime.storage,
      crm: runtime.crm,
      matchFields: runtime.matchFields,
      expireAfterDays: runtime.config.document.approvals.expireAfterDays,
      now,
    },
  };
}
