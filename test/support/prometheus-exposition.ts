/** One sample line of the Prometheus text exposition format. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family: its `# TYPE`, `# HELP` and samples (histogram `_bucket`/`_sum`/`_count` lines included). */
export interface MetricFamily {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/**
 * Parses the text exposition format (version 0.0.4) strictly: every line is
 * a `# HELP`, a `# TYPE`, a sample of a declared family, or blank; anything
 * else throws, so a malformed scrape fails the test that reads it.
 */
export function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const familyOf = (sample: string): MetricFamily | undefined =>
    families.get(sample) ?? families.get(sample.replace(/_(bucket|sum|count)$/, '')) ?? families.get(sample.replace(/_created$/, ''));
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const where = `line ${index + 1}: ${line}`;
    if (line.startsWith('# HELP ')) {
      const [name = '', ...help] = line.slice(7).split(' ');
      families.set(name, { name, type: families.get(name)?.type ?? '', help: help.join(' '), samples: families.get(name)?.samples ?? [] });
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name = '', type = ''] = line.slice(7).split(' ');
      const family = families.get(name);
      families.set(name, { name, type, help: family?.help ?? '', samples: family?.samples ?? [] });
      continue;
    }
    if (line.startsWith('#')) throw new Error(`unexpected comment, ${where}`);
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample, ${where}`);
    const [, name = '', labelText = '', valueText = ''] = match;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let label = LABEL.exec(labelText); label; label = LABEL.exec(labelText)) {
      labels[label[1] ?? ''] = (label[2] ?? '').replace(/\\(.)/g, (_all, char: string) => (char === 'n' ? '\n' : char));
      consumed = LABEL.lastIndex;
    }
    if (consumed !== labelText.length) throw new Error(`bad labels, ${where}`);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    // prom-client prints NaN as "Nan"; Prometheus reads it case-insensitively (Go's ParseFloat).
    if (Number.isNaN(value) && valueText.toLowerCase() !== 'nan') throw new Error(`bad value, ${where}`);
    const family = familyOf(name);
    if (!family) throw new Error(`sample of an undeclared family, ${where}`);
    family.samples.push({ name, labels, value });
  }
  return families;
}

/** The value of the one sample with this name and (at least) these labels; undefined when there is none. */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) return sample.value;
    }
  }
  return undefined;
}
