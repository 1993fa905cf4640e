import { ConfigError, type ConfigIssue } from './config-error.js';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Where a substituted value sits; used to find its line in the YAML. */
export interface Substitution {
  readonly path: readonly (string | number)[];
  readonly variable: string;
}

/**
 * Replaces `${NAME}` and `${NAME:-default}` inside string values of a parsed
 * config (never in keys, and after YAML parsing, so a secret containing YAML
 * syntax cannot change the structure). Returns the new tree and the set of
 * substituted values: those are secrets and are masked wherever we print.
 */
export function substituteEnv(
  tree: unknown,
  env: Readonly<Record<string, string | undefined>>,
  file: string,
  locate: (path: readonly (string | number)[]) => { line?: number; column?: number },
): { value: unknown; secrets: ReadonlySet<string> } {
  const secrets = new Set<string>();
  const issues: ConfigIssue[] = [];

  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') {
      return node.replace(REFERENCE, (_match, variable: string, fallback: string | undefined) => {
        const value = env[variable] ?? fallback;
        if (value === undefined) {
          issues.push({ file, ...locate(path), path: path.join('.'), message: `environment variable ${variable} is not set (use \${${variable}:-default} for a default)` });
          return '';
        }
        if (value !== '') secrets.add(value);
        return value;
      });
    }
    if (Array.isArray(node)) return node.map((item: unknown, index) => walk(item, [...path, index]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) out[key] = walk(value, [...path, key]);
      return out;
    }
    return node;
  };

  const value = walk(tree, []);
  if (issues.length > 0) throw new ConfigError('CONFIG_ENV_MISSING', issues);
  return { value, secrets };
}

/** Masks every secret value inside a text (error messages, printed config). */
export function maskSecrets(text: string, secrets: ReadonlySet<string>): string {
  let masked = text;
  for (const secret of secrets) masked = masked.split(secret).join('***');
  return masked;
}
