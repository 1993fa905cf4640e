import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../src/config/config-loader.js';
import { LeadsyncApiClient } from '../../src/server/leadsync-api-client.js';
import { openRuntime } from '../../src/server/runtime.js';
import { runCliAsync } from '../cli/run-cli.js';
import { waitUntil } from '../support/wait-for.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

// A full run of the built service (`leadsync serve`, worker thread included) with every
// preset fixture — emails and phone numbers in many shapes, a DLQ item, an approval, a
// replay, refused deliveries, alerts through the log channel and to a webhook that is
// down — then every byte the service wrote to stdout and stderr is searched for email
// addresses and phone numbers. There must be none.

const SLOW = { timeout: 300_000 };

/** An email address: something@domain.tld (masked ones, `a***@example.com`, do not match). */
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** Phone numbers as people and CRMs write them: E.164, and grouped national/international forms. */
const PHONES = [/\+\d{8,15}\b/g, /\+\d{1,3}[ .-]\(?\d{1,4}\)?[ .-]?\d{2,4}[ .-]\d{3,4}\b/g, /\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b/g, /\b0\d{2,4}[ .-]\d{3,4}[ .-]\d{3,4}\b/g];

interface ServiceRun {
  readonly process: ChildProcess;
  readonly url: string;
  output(): string;
}

function startServe(config: string): Promise<ServiceRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['bin/leadsync.js', 'serve', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let started = false;
    const take = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (!started && match?.[1]) {
        started = true;
        resolve({ process: proc, url: match[1], output: () => output });
      }
    };
    proc.stdout.on('data', take);
    proc.stderr.on('data', take);
    proc.on('exit', (code, signal) => {
      if (!started) reject(new Error(`serve exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

/** Every email and phone-like string in the preset fixtures, as written there. */
function fixtureContacts(): string[] {
  const found = new Set<string>();
  for (const folder of readdirSync('test/fixtures')) {
    for (const file of readdirSync(join('test/fixtures', folder))) {
      const text = readFileSync(join('test/fixtures', folder, file), 'utf8');
      for (const match of text.matchAll(EMAIL)) found.add(match[0]);
      // Values of phone-ish keys that hold a phone number (7+ digits), not e.g. a street number.
      for (const match of text.matchAll(/"[^"]*(?:phone|Phone|number)[^"]*"\s*:\s*"([^"]+)"/g)) if (match[1] && (match[1].match(/\d/g) ?? []).length >= 7) found.add(match[1]);
    }
  }
  return [...found];
}

describe('no personal data in the service logs', SLOW, () => {
  it('a full run with DLQ, approval, replay, refused deliveries and alerts logs no email or phone number', async () => {
    const dir = makeTempDir('leadsync-pii-');
    onTestFinished((context) => {
      if (context.task.result?.state === 'fail') console.error(`kept the PII test directory: ${dir}`);
      else removeTempDir(dir);
    });
    copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
    const document = parse(readFileSync('examples/leadsync.yaml', 'utf8')) as Record<string, unknown>;
    document['storage'] = { file: join(dir, 'leadsync.db'), synchronous: 'normal' };
    document['lanes'] = { realtime: { concurrency: 4 }, batch: { maxSize: 100, maxAgeMs: 200 } };
    // The log channel writes alerts (lead keys hold emails) into the log; the webhook is down, so its failures are logged too.
    document['alerts'] = [{ kind: 'log' }, { kind: 'webhook', url: 'http://127.0.0.1:9/alerts', secret: 'pii-test-secret' }];
    const config = join(dir, 'leadsync.yaml');
    writeFileSync(config, stringify(document));

    const service = await startServe(config);
    let stopped = false;
    onTestFinished(() => {
      if (!stopped) service.process.kill('SIGKILL');
    });

    // Every preset fixture, signed as its provider would: written leads, a DLQ item, an approval.
    const loaded = await loadConfig(config, { env: {} });
    const api = new LeadsyncApiClient(service.url);
    let accepted = 0;
    for (const folder of readdirSync('test/fixtures').sort()) {
      const source = loaded.sources.get(folder);
      if (!source) throw new Error(`no source ${folder}`);
      for (const file of readdirSync(join('test/fixtures', folder)).sort()) {
        const response = await api.postEvent(folder, source.config.signature, readFileSync(join('test/fixtures', folder, file)));
        if (response.kind === 'answered' && response.status < 300) accepted += 1;
      }
    }
    expect(accepted).toBeGreaterThan(10);
    // Watch the shared SQLite file (WAL) from here until the worker has processed everything.
    const runtime = await openRuntime(loaded);
    onTestFinished(() => runtime.close());
    const drained = (): Promise<void> =>
      waitUntil(async () => Object.values(await runtime.storage.jobs.depth()).every((n) => n === 0), 'the service to process the fixtures', { timeoutMs: 60_000, intervalMs: 100 });
    await drained();
    expect((await runtime.storage.deadLetters.groupByCode({ status: 'open' })).length).toBeGreaterThan(0);
    expect((await runtime.storage.approvals.list({ status: 'pending' })).items.length).toBeGreaterThan(0);

    // Refused deliveries: a bad signature, not JSON, no lead identity, an unknown source named like an email.
    const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect((await post('/v1/events/segment', JSON.stringify({ email: 'leak.check@example.com', phone: '+1 415 555 0100' }), { 'x-signature': 'sha256=00' })).status).toBe(401);
    expect((await post('/v1/events/ada.lovelace@acme-analytics.co.uk', '{}')).status).toBe(404);

    // A person approves the owner change and replays the DLQ item (it fails again: the mapping is unchanged).
    const approvals = JSON.parse((await runCliAsync(['approvals', 'list', '--json', '--config', config])).stdout) as { items: { id: string }[] };
    const approve = await runCliAsync(['approvals', 'approve', approvals.items[0]?.id ?? 'none', '--actor', 'maria', '--json', '--config', config]);
    expect(approve.status).toBe(0);
    const dlq = JSON.parse((await runCliAsync(['dlq', 'list', '--json', '--config', config])).stdout) as { items: { id: string; errorCode: string }[] };
    const picklist = dlq.items.find((item) => item.errorCode === 'CRM_PICKLIST_MISMATCH');
    expect((await runCliAsync(['dlq', 'replay', picklist?.id ?? 'none', '--actor', 'maria', '--json', '--config', config])).status).toBe(0);
    // The worker dead-letters the replay again (the mapping is unchanged): one more alert.
    await drained();

    const exited = new Promise<number | null>((resolve) => service.process.on('exit', (code) => resolve(code)));
    service.process.kill('SIGTERM');
    expect(await exited).toBe(0);
    stopped = true;

    const logs = service.output();
    // The run logged something worth searching: the dead-letter alerts and the webhook failures.
    expect(logs).toContain('CRM_PICKLIST_MISMATCH');
    expect(logs.split('\n').filter((line) => line.startsWith('{')).length).toBeGreaterThan(2);

    const emails = [...logs.matchAll(EMAIL)].map((match) => match[0]);
    // UUIDs (event, job and request ids) are not personal data, but one whose middle groups happen to be all digits
    // ("…-0926-4726-8860-…") has the shape of a phone number: take them out before looking for phones.
    const withoutIds = logs.replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>');
    const phones = PHONES.flatMap((pattern) => [...withoutIds.matchAll(pattern)].map((match) => match[0]));
    const contacts = fixtureContacts();
    expect(contacts.length).toBeGreaterThan(15);
    const verbatim = contacts.filter((value) => logs.toLowerCase().includes(value.trim().toLowerCase()));
    expect({ emails, phones, verbatim }).toEqual({ emails: [], phones: [], verbatim: [] });
  });
});
