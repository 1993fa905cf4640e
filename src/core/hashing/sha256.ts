import { hash } from 'node:crypto';

/**
 * SHA-256 of a UTF-8 string, hex encoded. Hashing is pure computation, so the
 * core may use it. The one-shot `crypto.hash` (Node ≥ 20.12) is used rather
 * than `createHash(…).update(…).digest()`: for the short texts hashed here
 * (payloads, audit rows) it is about four times faster.
 */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}
