/**
 * The SOQL subset the emulator answers: what leadsync and the fidelity tests
 * send. `SELECT f1, f2 FROM Obj [WHERE f = 'v' | f IN ('a', 'b')] [LIMIT n]`.
 * Anything else is a MALFORMED_QUERY, so an adapter cannot come to rely on
 * SOQL the emulator only pretends to understand.
 */
export interface SoqlQuery {
  readonly fields: readonly string[];
  readonly object: string;
  readonly where?: { readonly field: string; readonly values: readonly string[] };
  readonly limit?: number;
}

export class SoqlError extends Error {}

const QUERY = /^\s*SELECT\s+(.+?)\s+FROM\s+([A-Za-z0-9_]+)(?:\s+WHERE\s+(.+?))?(?:\s+LIMIT\s+(\d+))?\s*$/is;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads one single-quoted SOQL literal starting at `start`; returns it and the index after the closing quote. */
function readLiteral(text: string, start: number): { value: string; end: number } {
  if (text.charAt(start) !== "'") throw new SoqlError(`expecting a string literal at position ${start}`);
  let value = '';
  for (let index = start + 1; index < text.length; index += 1) {
    const char = text.charAt(index);
    if (char === '\\') {
      const next = text.charAt(index + 1);
      const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', "'": "'", '"': '"', '\\': '\\' };
      const decoded = escapes[next];
      if (decoded === undefined) throw new SoqlError(`invalid escape sequence \\${next}`);
      value += decoded;
      index += 1;
    } else if (char === "'") {
      return { value, end: index + 1 };
    } else {
      value += char;
    }
  }
  throw new SoqlError('unterminated string literal');
}

function parseWhere(text: string): { field: string; values: string[] } {
  const head = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=|IN)\s*/i.exec(text);
  if (head === null) throw new SoqlError(`unexpected token in WHERE: ${text.slice(0, 30)}`);
  const field = head[1] ?? '';
  let position = head[0].length;
  const values: string[] = [];
  if ((head[2] ?? '').toUpperCase() === '=') {
    const literal = readLiteral(text, position);
    values.push(literal.value);
    position = literal.end;
  } else {
    if (text.charAt(position) !== '(') throw new SoqlError('expecting ( after IN');
    position += 1;
    for (;;) {
      while (text.charAt(position) === ' ') position += 1;
      const literal = readLiteral(text, position);
      values.push(literal.value);
      position = literal.end;
      while (text.charAt(position) === ' ') position += 1;
      const separator = text.charAt(position);
      position += 1;
      if (separator === ')') break;
      if (separator !== ',') throw new SoqlError(`expecting , or ) at position ${position - 1}`);
    }
  }
  if (text.slice(position).trim() !== '') throw new SoqlError(`unexpected token: ${text.slice(position).trim().slice(0, 30)}`);
  return { field, values };
}

export function parseSoql(text: string): SoqlQuery {
  const match = QUERY.exec(text);
  if (match === null) throw new SoqlError('unexpected token: expecting SELECT … FROM …');
  const fields = (match[1] ?? '').split(',').map((field) => field.trim());
  const bad = fields.find((field) => !IDENT.test(field));
  if (bad !== undefined) throw new SoqlError(`unexpected token: '${bad}'`);
  const query: { fields: string[]; object: string; where?: { field: string; values: string[] }; limit?: number } = { fields, object: match[2] ?? '' };
  if (match[3] !== undefined) query.where = parseWhere(match[3]);
  if (match[4] !== undefined) query.limit = Number(match[4]);
  return query;
}
