// `npm run bench`: runs every benchmark and writes the figures into docs/BENCHMARKS.md.
import { cpus } from 'node:os';
import { reportBackfillBenchmark } from './backfill-rss.js';
import { runCoreBenchmark } from './core-benchmark.js';
import { reportPipelineBenchmark } from './pipeline-benchmark.js';
import { writeBenchmarkSection } from './benchmark-report.js';

const only = process.argv[2];

if (!only || only === 'core') {
  const result = await runCoreBenchmark(Number(process.env['BENCH_EVENTS'] ?? 50_000));
  const lines = [
    `Command: \`npm run bench -- core\` (Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, one core: the benchmark is single-threaded).`,
    '',
    '| events | seconds | events/s | heap used after run | outcomes |',
    '|---|---|---|---|---|',
    `| ${result.events} | ${result.seconds.toFixed(2)} | ${Math.round(result.eventsPerSecond).toLocaleString('en-US')} | ${result.heapUsedMb.toFixed(0)} MB | ${Object.entries(result.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')} |`,
    '',
    'Target: ≥ 50,000 events/s (normalize + map + validate + plan, every preset mixed).',
  ];
  writeBenchmarkSection('core', 'Core engine (normalize + map + validate + merge plan)', lines.join('\n'));
  console.log(lines.join('\n'));
}

if (!only || only === 'backfill') {
  await reportBackfillBenchmark(Number(process.env['BENCH_BACKFILL_LINES'] ?? 1_000_000));
}

if (!only || only === 'pipeline') {
  await reportPipelineBenchmark(Number(process.env['BENCH_PIPELINE_EVENTS'] ?? 10_000), Number(process.env['BENCH_PIPELINE_REPEATS'] ?? 3), Number(process.env['BENCH_KILLS'] ?? 10));
}
