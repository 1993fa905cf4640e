import type { DeadLetterAlert } from '../../src/ports/alert-channel.js';

/** A dead-letter alert as the dispatcher sends it: a picklist mismatch on a web-form lead; `changes` replace fields. */
export function deadLetterAlert(changes: Partial<DeadLetterAlert> = {}): DeadLetterAlert {
  return {
    kind: 'dead_letter',
    id: 'alert_1',
    time: '2026-01-01T00:00:00.000Z',
    eventId: '42',
    deadLetterId: '7',
    source: 'webform',
    leadKey: 'contacts:ada@example.com',
    errorCode: 'CRM_PICKLIST_MISMATCH',
    message: 'contacts.lead_source: "Trade show" is not an option',
    trace: 'contacts.lead_source: CRM_PICKLIST_MISMATCH "Trade show" (nearest: Tradeshow)',
    attempts: 1,
    ...changes,
  };
}
