import { pino, type DestinationStream, type LevelWithSilent, type LogFn, type Logger } from 'pino';
import { maskPii } from '../core/redaction/pii-masker.js';

export type { Logger } from 'pino';

/** Header names whose values never reach a log line, whatever object holds them. */
export const REDACTED_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'webhook-signature',
  'x-hubspot-signature-v3',
  'x-signature',
  'x-api-key',
] as const;

/**
 * pino `redact` paths for {@link REDACTED_HEADERS}: `headers` at the top level,
 * one level down (`req.headers`, `res.headers`, `request.headers`) and two
 * levels down (`err.response.headers`).
 */
export const REDACTED_HEADER_PATHS: readonly string[] = REDACTED_HEADERS.flatMap((header) => [
  `headers["${header}"]`,
  `*.headers["${header}"]`,
  `*.*.headers["${header}"]`,
]);

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. (Default: info) */
  readonly level?: LevelWithSilent;
  /** Where the JSON lines go. (Default: stderr, written synchronously so no line is lost on exit) */
  readonly destination?: DestinationStream;
  /** `name` field on every line. (Default: leadsync) */
  readonly name?: string;
}

// Deeper than any object we log on purpose; stops a runaway walk over something huge.
const MAX_DEPTH = 8;

/**
 * The service's pino logger: JSON lines with personal data masked. Every
 * string in a logged object, nested objects, arrays, error messages, stacks
 * and causes included, has email addresses masked (`a***@example.com`) and
 * phone-number-like digit runs replaced by `[phone]`; so is the message.
 * Secret headers (authorization, cookies, webhook signatures) are replaced by
 * `[redacted]` wherever a `headers` object is logged.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'leadsync',
      level: options.level ?? 'info',
      redact: { paths: [...REDACTED_HEADER_PATHS], censor: '[redacted]' },
      // Errors are serialized (and masked) by `formatters.log` below; pino's own err serializer would
      // re-serialize that plain object and report its type as "Object".
      serializers: { err: (value: unknown) => value },
      formatters: {
        log: (object) => maskObject(object),
        bindings: (bindings) => maskObject(bindings),
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, maskArguments(args as unknown[]) as Parameters<LogFn>);
        },
      },
      // pino applies `formatters.bindings` to the root logger only; a child's bindings
      // (`logger.child({ leadKey })`) are masked here, in the JSON fragment pino keeps for them.
      onChild: (child) => maskChildBindings(child),
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/** The fields of one log line, with every string masked and errors serialized; exported for tests. */
export function maskObject(object: Record<string, unknown>): Record<string, unknown> {
  const masked = maskValue(object, 0, new WeakSet());
  return isRecord(masked) ? masked : { value: masked };
}

function maskChildBindings(child: Logger): void {
  const holder = child as unknown as Record<symbol, unknown>;
  const fragment = holder[pino.symbols.chindingsSym];
  if (typeof fragment !== 'string' || fragment.length === 0) return;
  const bindings = JSON.parse(`{${fragment.slice(1)}}`) as Record<string, unknown>;
  holder[pino.symbols.chindingsSym] = `,${JSON.stringify(maskObject(bindings)).slice(1, -1)}`;
}

function maskArguments(args: readonly unknown[]): unknown[] {
  const [first, ...rest] = args;
  if (typeof first === 'string') return [maskPii(first), ...rest.map((arg) => maskValue(arg, 0, new WeakSet()))];
  // With no message given, pino takes the error's message as the line's message, bypassing
  // `formatters.log`; hand it the masked one instead.
  const error = first instanceof Error ? first : isRecord(first) && first['err'] instanceof Error ? first['err'] : undefined;
  if (rest.length === 0 && error) return [first, maskPii(error.message)];
  return [first, ...rest.map((arg) => (typeof arg === 'string' ? maskPii(arg) : maskValue(arg, 0, new WeakSet())))];
}

function maskValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return maskPii(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]';
  seen.add(value);
  try {
    if (value instanceof Error) return maskValue(serializeError(value), depth, seen);
    if (Array.isArray(value)) return value.map((item) => maskValue(item, depth + 1, seen));
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.constructor.name} ${value.byteLength} bytes]`;
    // Dates, URLs and anything else with a JSON form are masked in that form, which is what would be printed.
    const withJson = value as { toJSON?: unknown };
    if (typeof withJson.toJSON === 'function') return maskValue((withJson.toJSON as () => unknown).call(value), depth + 1, seen);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = maskValue(item, depth + 1, seen);
    return out;
  } finally {
    // Only the current path counts as a cycle; the same object twice side by side is printed twice.
    seen.delete(value);
  }
}

/** pino's error serializer (type, message and stack with causes, own fields), as a plain object. */
function serializeError(error: Error): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  // Own enumerable fields only: drops the non-enumerable `raw` back-reference to the original error.
  return { ...serialized };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
