/** How long an alert POST may take before it counts as failed. (Default: 5000 ms) */
export const DEFAULT_ALERT_TIMEOUT_MS = 5_000;

/**
 * POSTs a JSON body and resolves on a 2xx answer. Anything else (non-2xx,
 * network error, timeout) rejects with an error that names the channel and
 * the host but never the full URL: Slack webhook URLs carry their secret in the path.
 */
export async function postAlertJson(channel: string, url: string, body: string, headers: Readonly<Record<string, string>>, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'leadsync-alerts', ...headers }, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const why = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : error instanceof Error ? error.message : String(error);
    throw new Error(`${channel}: POST to ${new URL(url).host} failed: ${why}`, { cause: error });
  }
  // Read the body either way so the connection is released; its text explains a refusal.
  const text = await response.text().catch((error: unknown) => `(body unreadable: ${error instanceof Error ? error.message : String(error)})`);
  if (!response.ok) throw new Error(`${channel}: ${new URL(url).host} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}
