import { describe, expect, it } from 'vitest';
import { LogAlertChannel } from '../../../src/adapters/alerts/log-alert-channel.js';
import type { StructuredLogger } from '../../../src/ports/structured-logger.js';
import { createLogger } from '../../../src/server/logger.js';
import { deadLetterAlert } from '../../support/alert-fixtures.js';
import { LogCapture } from '../../support/log-capture.js';

// Personal data in the lead key, message and trace, for the log's masking.
const alert = deadLetterAlert({
  leadKey: 'contacts:ada.lovelace@acme-analytics.co.uk',
  message: 'contacts.phone: "+44 20 7946 0958" rejected',
  trace: 'contacts.phone: CRM_TYPE_MISMATCH for ada.lovelace@acme-analytics.co.uk',
});

describe('log alert channel', () => {
  it('writes one error line with the alert under `alert`, personal data masked by the logger', async () => {
    const capture = new LogCapture();
    await new LogAlertChannel(createLogger({ destination: capture })).send(alert);

    expect(capture.lines).toHaveLength(1);
    expect(capture.lines[0]).toMatchObject({
      level: 50,
      msg: 'alert: event 42 from webform was dead-lettered (CRM_PICKLIST_MISMATCH)',
      alert: { kind: 'dead_letter', eventId: '42', deadLetterId: '7', source: 'webform', errorCode: 'CRM_PICKLIST_MISMATCH', leadKey: 'contacts:a***@acme-analytics.co.uk', message: 'contacts.phone: "[phone]" rejected' },
    });
    expect(capture.text()).not.toContain('ada.lovelace');
    expect(capture.text()).not.toContain('7946');
  });

  it('reports a logger that throws as a failed delivery', async () => {
    const broken: StructuredLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => { throw new Error('disk full'); } };
    await expect(new LogAlertChannel(broken).send(alert)).rejects.toThrow('log: writing the alert failed');
  });
});
