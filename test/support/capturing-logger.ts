import type { StructuredLogger } from '../../src/ports/structured-logger.js';

export interface LoggedLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string;
}

/** A {@link StructuredLogger} that keeps every line for assertions. */
export class CapturingLogger implements StructuredLogger {
  readonly lines: LoggedLine[] = [];

  debug(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.lines.push({ level: 'debug', fields, message });
  }

  info(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.lines.push({ level: 'info', fields, message });
  }

  warn(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.lines.push({ level: 'warn', fields, message });
  }

  error(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.lines.push({ level: 'error', fields, message });
  }

  /** Lines whose message contains `text`. */
  matching(text: string): LoggedLine[] {
    return this.lines.filter((line) => line.message.includes(text));
  }
}
