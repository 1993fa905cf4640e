import { createInterface } from 'node:readline';
import { createNormalizers } from '../../core/normalize/normalizers.js';
import { NORMALIZER_KINDS, type NormalizerKind } from '../../core/normalize/normalizer-types.js';
import { EXIT, writeJson, type CliIo, type ExitCode } from '../cli-io.js';
import { UsageError } from '../usage-error.js';

export interface NormalizeOptions {
  readonly country?: string;
}

/**
 * `leadsync normalize <kind> <value|-> [--country CC]` (NORMALIZATION.md):
 * one JSON object for a value (exit 1 when it cannot be normalized), or one
 * JSON line per stdin line in batch mode (always exit 0; failures carry `error`).
 */
export async function normalizeCommand(kind: string, value: string, options: NormalizeOptions, io: CliIo): Promise<ExitCode> {
  if (!(NORMALIZER_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`normalize: unknown kind "${kind}"; use one of ${NORMALIZER_KINDS.join(', ')}`);
  }
  const normalizers = createNormalizers();
  const context = options.country === undefined ? {} : { country: options.country };
  const run = (input: string): { ok: boolean; output: Record<string, unknown> } => {
    const result = normalizers.normalize(kind as NormalizerKind, input, context);
    return result.ok
      ? { ok: true, output: { ...result.value } }
      : { ok: false, output: { error: result.message, code: result.code } };
  };

  if (value !== '-') {
    const { ok, output } = run(value);
    writeJson(io.stdout, output);
    return ok ? EXIT.ok : EXIT.failed;
  }
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    writeJson(io.stdout, { input: line, ...run(line).output });
  }
  return EXIT.ok;
}
