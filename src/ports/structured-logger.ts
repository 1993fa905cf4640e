/**
 * The part of a structured (pino) logger the app and adapters use: fields
 * first, then a message. The server's pino logger fits it and masks PII in
 * every string it is given (src/server/logger.ts).
 */
export interface StructuredLogger {
  debug(fields: Readonly<Record<string, unknown>>, message: string): void;
  info(fields: Readonly<Record<string, unknown>>, message: string): void;
  warn(fields: Readonly<Record<string, unknown>>, message: string): void;
  error(fields: Readonly<Record<string, unknown>>, message: string): void;
}
