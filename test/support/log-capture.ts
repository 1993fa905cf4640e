import type { DestinationStream } from 'pino';

/** A pino destination that keeps each JSON line, parsed. */
export class LogCapture implements DestinationStream {
  readonly lines: Record<string, unknown>[] = [];

  write(line: string): void {
    this.lines.push(JSON.parse(line) as Record<string, unknown>);
  }

  /** Every line as one string, to assert that something appears nowhere. */
  text(): string {
    return JSON.stringify(this.lines);
  }
}
