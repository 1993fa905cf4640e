/**
 * Runs the Salesforce emulator alone: `npm run emulator:salesforce`
 * (PORT, default 4020). Prints the instance URL and credentials.
 */
import { startSalesforceEmulator } from './salesforce-emulator.js';

const port = Number(process.env['PORT'] ?? 4020);
if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be a port number, got "${process.env['PORT'] ?? ''}"`);
  process.exit(2);
}
const host = process.env['HOST'] ?? '127.0.0.1';
const emulator = await startSalesforceEmulator({ port, host });
console.log(`Salesforce emulator listening on ${emulator.url}
  instanceUrl / loginUrl: ${emulator.url}
  API base:               ${emulator.url}/services/data/v60.0
  client credentials:     clientId=${emulator.clientId} clientSecret=${emulator.clientSecret}
  sObjects:               Lead, Contact, Account (external id Leadsync_Id__c; Account: Domain__c)
  knobs:                  POST ${emulator.url}/__emulator/faults {"kind":"server_error","body":"html"}, /__emulator/reset, /__emulator/expire-tokens, GET /__emulator/records/Lead
Stop with Ctrl-C.`);

function shutdown(): void {
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
