import type { Writable } from 'node:stream';
import { MultiBar, Presets } from 'cli-progress';
import { writeLine } from './cli-io.js';

/** How far a backfill has got. */
export interface BackfillProgressSample {
  readonly bytesRead: number;
  readonly lines: number;
  readonly queued: number;
  readonly problems: number;
}

export interface BackfillProgressOptions {
  readonly stream: Writable;
  /** A progress bar on a terminal, a plain line every `plainEveryMs` otherwise (logs, CI, pipes). */
  readonly tty: boolean;
  readonly totalBytes: number;
  /** Where the numbers come from; called by the display's own timer. */
  readonly sample: () => BackfillProgressSample;
  /** (Default: 2000) */
  readonly plainEveryMs?: number;
  /** Milliseconds since some fixed point. (Default: performance.now) */
  readonly nowMs?: () => number;
}

/** A running progress display; `stop()` draws the final state and releases the timer. */
export interface BackfillProgress {
  /** Writes a line (a bad line's report) without garbling the bar. */
  log(line: string): void;
  stop(): void;
}

/**
 * Progress of `leadsync ingest` on stderr (stdout keeps the summary, so
 * `--json` output stays parseable). Measured in bytes of the file, the only
 * total known before the end; the rate is in lines per second.
 */
export function startBackfillProgress(options: BackfillProgressOptions): BackfillProgress {
  const nowMs = options.nowMs ?? (() => performance.now());
  const started = nowMs();
  const rate = (lines: number): number => {
    const seconds = (nowMs() - started) / 1000;
    return seconds > 0 ? Math.round(lines / seconds) : 0;
  };

  if (options.tty) {
    // A MultiBar, even for one bar: it prints log lines above the bar and moves
    // the cursor relatively, where a SingleBar restores a saved screen position
    // and would write the summary over the problems printed meanwhile.
    const bars = new MultiBar(
      {
        stream: options.stream,
        format: 'ingest |{bar}| {percentage}% | {lines} lines | {rate} lines/s | {problems} problems | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 40,
      },
      Presets.shades_classic,
    );
    const bar = bars.create(Math.max(options.totalBytes, 1), 0, { lines: 0, rate: 0, problems: 0 });
    const draw = (): void => {
      const sample = options.sample();
      bar.update(sample.bytesRead, { lines: sample.lines.toLocaleString('en-US'), rate: rate(sample.lines).toLocaleString('en-US'), problems: sample.problems });
    };
    const timer = setInterval(draw, 200);
    timer.unref();
    return {
      log(text) {
        bars.log(`${text}\n`);
      },
      stop() {
        clearInterval(timer);
        draw();
        // Flushes the log lines still waiting for the next tick, then the final bar.
        bars.update();
        bars.stop();
      },
    };
  }

  const line = (): void => {
    const sample = options.sample();
    const percent = options.totalBytes > 0 ? Math.min(100, Math.floor((sample.bytesRead / options.totalBytes) * 100)) : 100;
    const perSecond = rate(sample.lines);
    const bytesPerSecond = sample.bytesRead / Math.max((nowMs() - started) / 1000, 0.001);
    const eta = bytesPerSecond > 0 ? Math.ceil((options.totalBytes - sample.bytesRead) / bytesPerSecond) : 0;
    writeLine(
      options.stream,
      `ingest: ${percent}% of ${megabytes(options.totalBytes)}, ${sample.lines.toLocaleString('en-US')} lines (${sample.queued.toLocaleString('en-US')} queued, ${sample.problems.toLocaleString('en-US')} problems), ${perSecond.toLocaleString('en-US')} lines/s, ETA ${eta} s`,
    );
  };
  const timer = setInterval(line, options.plainEveryMs ?? 2000);
  timer.unref();
  return {
    log(text) {
      writeLine(options.stream, text);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
