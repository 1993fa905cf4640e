import { LeadsyncError, type ErrorCode } from '../core/errors/error-codes.js';

/** One problem in a config or schema file, located as precisely as we can. */
export interface ConfigIssue {
  readonly file: string;
  /** 1-based; absent when the problem has no place in the file (e.g. a missing key at the root). */
  readonly line?: number;
  readonly column?: number;
  /** Dot path of the value, e.g. "sources.webform.lane". */
  readonly path: string;
  readonly message: string;
}

/** A config that cannot be used, with every issue found (not just the first). */
export class ConfigError extends LeadsyncError {
  readonly issues: readonly ConfigIssue[];

  constructor(code: ErrorCode, issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    super(code, formatIssues(issues), options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** "examples/leadsync.yaml:12:5 sources.webform.lane: expected one of …" — one line per issue. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues
    .map((issue) => {
      const place = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
      return `${place} ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`;
    })
    .join('\n');
}

/** Renders a path array as "a.b[0].c". */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text;
}
