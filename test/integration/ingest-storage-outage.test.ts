import { describe, expect, it } from 'vitest';
import { signDelivery } from '../../src/core/signatures/delivery-signer.js';
import { buildHttpApp } from '../../src/server/http-app.js';
import { exampleRuntimeForThisTest } from '../support/example-runtime.js';

// While PostgreSQL restarts (or PgBouncer waits to log in to it again), a delivery's commit fails with a
// connection error. The sender gets 503 STORAGE_UNREACHABLE with Retry-After, not a 500 that reads like a
// leadsync bug; a retry once the database is back is accepted, or answered as a duplicate if it was stored.

/** An error as node-postgres reports it when the server ends the session (SQLSTATE 57P01). */
function adminShutdown(): Error {
  return Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' });
}

describe('ingest while the database cannot be reached', () => {
  it('answers 503 STORAGE_UNREACHABLE with Retry-After, and accepts the same delivery once the database is back', async () => {
    const { runtime } = await exampleRuntimeForThisTest('leadsync-ingest-outage-');
    let down = true;
    const ingest = {
      acceptMany: (events: Parameters<typeof runtime.storage.ingest.acceptMany>[0]) => (down ? Promise.reject(adminShutdown()) : runtime.storage.ingest.acceptMany(events)),
    };
    const app = buildHttpApp({ runtime, ingest, bodyLimitBytes: 1_048_576, now: () => new Date(), isReady: () => true });
    try {
      const body = Buffer.from(JSON.stringify({ submission_id: 'outage-1', submitted_at: '2026-11-20T14:03:11Z', email: 'ada@outage-test.example', first_name: 'Ada', form: 'Demo Request' }));
      const scheme = runtime.sources.get('webform')?.signature;
      if (scheme === undefined) throw new Error('the example config has no webform source');
      const deliver = () => {
        const headers = signDelivery(scheme, { method: 'POST', url: 'http://localhost/v1/events/webform', body, nowMs: Date.now(), webhookId: 'msg_outage_1' });
        return app.inject({ method: 'POST', url: '/v1/events/webform', headers: { ...headers, 'content-type': 'application/json' }, payload: body });
      };

      const refused = await deliver();
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      const answer = refused.json<{ code: string; message: string }>();
      expect(answer.code).toBe('STORAGE_UNREACHABLE');
      expect(answer.message).toContain('terminating connection due to administrator command');
      expect(await runtime.storage.jobs.depth()).toEqual({ realtime: 0, batch: 0 });

      down = false;
      const accepted = await deliver();
      expect(accepted.statusCode).toBe(202);
      expect(accepted.json()).toMatchObject({ status: 'queued' });
    } finally {
      await app.close();
    }
  });

  it('still answers 500 WORKER_UNEXPECTED for an error that is not about the connection', async () => {
    const { runtime } = await exampleRuntimeForThisTest('leadsync-ingest-outage-');
    const ingest = { acceptMany: () => Promise.reject(new Error('something nobody expected')) };
    const app = buildHttpApp({ runtime, ingest, bodyLimitBytes: 1_048_576, now: () => new Date(), isReady: () => true });
    try {
      const body = Buffer.from(JSON.stringify({ submission_id: 'outage-2', submitted_at: '2026-11-20T14:03:11Z', email: 'bo@outage-test.example', form: 'Demo Request' }));
      const scheme = runtime.sources.get('webform')?.signature;
      if (scheme === undefined) throw new Error('the example config has no webform source');
      const headers = signDelivery(scheme, { method: 'POST', url: 'http://localhost/v1/events/webform', body, nowMs: Date.now(), webhookId: 'msg_outage_2' });
      const answer = await app.inject({ method: 'POST', url: '/v1/events/webform', headers: { ...headers, 'content-type': 'application/json' }, payload: body });
      expect(answer.statusCode).toBe(500);
      expect(answer.json()).toMatchObject({ code: 'WORKER_UNEXPECTED' });
    } finally {
      await app.close();
    }
  });
});
