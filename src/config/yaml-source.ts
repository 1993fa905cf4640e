import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError } from './config-error.js';

/** A parsed YAML file that can say where any path of it is written. */
export interface YamlSource {
  readonly file: string;
  readonly data: unknown;
  locate(path: readonly PropertyKey[]): { line?: number; column?: number };
}

/** Parses YAML (or JSON, which is YAML) keeping positions for error messages. */
export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const document: Document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, merge: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      'CONFIG_YAML_SYNTAX',
      document.errors.map((error) => {
        const position = error.linePos?.[0];
        return {
          file,
          ...(position ? { line: position.line, column: position.col } : {}),
          path: '',
          message: error.message.split('\n')[0] ?? error.message,
        };
      }),
    );
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (error) {
    // Well-formed YAML the library still cannot turn into data: a `<<` merge key whose value is not
    // a map (or an alias to one), or an alias expanding past the limit above.
    throw new ConfigError('CONFIG_YAML_SYNTAX', [{ file, path: '', message: error instanceof Error ? error.message : String(error) }]);
  }
  return {
    file,
    data,
    locate(path) {
      // Walk up to the nearest existing node: a missing key is reported at its parent.
      for (let depth = path.length; depth >= 0; depth -= 1) {
        const node: unknown = document.getIn(path.slice(0, depth) as unknown[], true);
        if (isNode(node) && node.range) {
          const position = lineCounter.linePos(node.range[0]);
          return { line: position.line, column: position.col };
        }
      }
      return {};
    },
  };
}
