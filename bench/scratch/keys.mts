import { loadConfig } from '../../src/config/config-loader.js';
import { openRuntime } from '../../src/server/runtime.js';
import { prepareEvent } from '../../src/core/plan/event-planner.js';
const config = await loadConfig('examples/leadsync.yaml', { env: {} });
const runtime = openRuntime({ ...config, document: { ...config.document, storage: { ...config.document.storage, file: ':memory:' } } });
const source = runtime.sources.get('webform')!;
for (const i of [0, 1, 2]) {
  const p = prepareEvent({ submission_id: `bench-${i}`, submitted_at: '2026-11-20T14:03:11Z', email: `lead${i}@bench-${i % 500}.example.com`, first_name: 'Bench', last_name: `Lead ${i}`, job_title: 'VP Marketing', company: `Bench ${i % 500} GmbH`, website: `https://bench-${i % 500}.example.com`, country: 'Germany', phone: '+49 30 901820', form: 'Demo Request' }, source.context);
  console.log(JSON.stringify(p, null, 0).slice(1400, 4000));
}
