// `npm run bench`: runs every benchmark and writes the figures into docs/BENCHMARKS.md.
import { cpus, loadavg } from 'node:os';
import { reportBackfillBenchmark } from './backfill-rss.js';
import { runCoreBenchmark } from './core-benchmark.js';
import { reportPipelineBenchmark } from './pipeline-benchmark.js';
import { writeBenchmarkSection } from './benchmark-report.js';

const only = process.argv[2];

if (!only || only === 'core') {
  const loadBefore = loadavg()[0] ?? 0;
  const result = await runCoreBenchmark(Number(process.env['BENCH_EVENTS'] ?? 50_000));
  const loadAfter = loadavg()[0] ?? 0;
  const lines = [
    `Command: \`npm run bench -- core\` (Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, one core: the benchmark is single-threaded).`,
    '',
    '| events | seconds | events/s | events per CPU-second | heap used after run | outcomes | 1-min load average (start → end, 2 cores) |',
    '|---|---|---|---|---|---|---|',
    `| ${result.events} | ${result.seconds.toFixed(2)} | ${Math.round(result.eventsPerSecond).toLocaleString('en-US')} | ${Math.round(result.eventsPerCpuSecond).toLocaleString('en-US')} | ${result.heapUsedMb.toFixed(0)} MB | ${Object.entries(result.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')} | ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} |`,
    '',
    'Target: ≥ 50,000 events/s (normalize + map + validate + plan, every preset mixed).',
    '',
    result.eventsPerSecond >= 50_000 ? 'At target in this run.' : 'Below target in this run.',
    'Events per CPU-second counts only the time the process ran, so it moves less with other work on the machine than events/s; on a busy',
    'machine compare it, and compare old and new code in alternating runs rather than against an older table.',
    '',
    'Inputs: the preset fixtures with a unique email per event, and titles, company names, websites and countries drawn from a Zipf',
    'distribution over 2,160 titles, 20,000 accounts and 32 country spellings (before 2026-11-27 evening: 10 titles and 10 countries, so',
    'older figures are not comparable). Memos of recent normalizer results hit ~99% of titles, ~81% of company names and websites and',
    'every country on this stream; on 100,000 companies drawn uniformly (no hits) a company costs ~1 µs (~15%) more than without the memo.',
    '',
    'Second pass, 2026-11-27 (docs/decisions/0018-bounded-memos-in-the-core.md): canonical JSON without `sort()` callbacks or a',
    '`JSON.stringify` per plain string (about twice as fast, byte-identical, checked by a property test against the reference encoder);',
    'bounded memos of title, company, domain and country results, of email hosts (Public Suffix lookup) and of URL coercions; no',
    'Map, key strings and closure per event in the mapper\'s per-event memo; the merge planner groups proposals and orders plan entries',
    'by insertion instead of a Map of arrays and `sort()`; validation through the compiled object instead of two cache lookups per field.',
    'Same-process A/B against the code before this pass (alternating runs over the same 20,000 inputs): median 16,700 → 26,500',
    'events per CPU-second at load average 9.4 (1.58×); 1.73× at 5.5 and 1.86× at 7.3. On the old inputs (10 titles, 10 countries),',
    'separate runs alternating old and new code at load ~4.5: median 13,200 → 25,000 events per CPU-second (1.9×), 11,300 → 17,000',
    'events/s. Before this pass, on the old inputs:',
    '24,300–39,500 events/s at load averages 2.6–3.5 after the one-shot `crypto.hash`, compiled mapping tables and per-config planner',
    'policies (22,100–23,400 before those, at load 1.5–2.3).',
    '',
    'Third pass, 2026-11-27 (docs/decisions/0023-core-payload-hash-buffer.md): the payload hash writes the canonical JSON as UTF-8',
    'into one reused buffer and hashes it there (same bytes; ~3.3 µs a payload against ~5 µs for string + hash, and ~8.5 µs when',
    'feeding `createHash().update()` piece by piece, which was rejected); the mapper reads each distinct list of source paths once per',
    'payload; blank checks, validation results, timestamp formatting and low-confidence skip texts do less per field. Same plans',
    '(golden plans and payload hashes unchanged). Same-process A/B against the code before this pass (alternating passes over the',
    'same 20,000 inputs, 20 each), final code: median 44,100 → 56,200 events per CPU-second at load average 10.5 → 8.6 (1.27×);',
    '1.21×–1.28× in three earlier windows at load 10–14. Separate processes of this benchmark (50,000 events, one pass), old and new',
    'alternating, three sets of 5–6 runs each at load 6.7–14.1: medians 31,300 → 39,600 (1.26×), 30,300 → 32,400 (1.07×) and',
    '27,900 → 31,400 (1.12×) events per CPU-second; 12,000 → 15,000, 11,800 → 15,300 and 19,200 → 22,700 events/s. One pass over',
    '50,000 cold inputs is dominated by memory and moves a lot on a busy machine; the same-process figures are the steadier ones.',
    'What is left in a profile: the payload hash ~21% of an event (writing ~17%, SHA-256 ~4%; as the first pass over a cold payload',
    'it also pays that payload\'s cache misses), normalizers ~22% (memo lookups ~10%, mostly cache misses on the long tail of',
    'companies and websites; company, phone, email and domain work ~10%), the rest of mapping ~24%, validation and proposals ~10%, the',
    'merge plan ~15%, garbage collection ~2–3%: no single item left is larger than the memo lookups.',
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

if (!only || only === 'http') {
  const { runHttpIngestBenchmark } = await import('./http-ingest-benchmark.js');
  const rate = Number(process.env['BENCH_HTTP_RATE'] ?? 500);
  const repeats = Number(process.env['BENCH_HTTP_REPEATS'] ?? 5);
  const runs: { result: Awaited<ReturnType<typeof runHttpIngestBenchmark>>; loadBefore: number; loadAfter: number }[] = [];
  for (let repeat = 0; repeat < repeats; repeat += 1) {
    const loadBefore = loadavg()[0] ?? 0;
    const result = await runHttpIngestBenchmark(rate, Number(process.env['BENCH_HTTP_SECONDS'] ?? 10));
    runs.push({ result, loadBefore, loadAfter: loadavg()[0] ?? 0 });
    console.log(`http #${repeat + 1}: p50 ${result.p50Ms.toFixed(1)} ms, p95 ${result.p95Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, failed ${result.failed}, written when sending ended ${result.writtenWhenSendingEnded ?? '-'}, load ${loadBefore.toFixed(1)}`);
  }
  const p99s = runs.map((run) => run.result.p99Ms).sort((a, b) => a - b);
  const medianP99 = p99s[Math.floor((p99s.length - 1) / 2)] ?? Number.POSITIVE_INFINITY;
  const under = runs.filter((run) => run.result.failed === 0 && run.result.p99Ms < 50).length;
  const met = runs.every((run) => run.result.failed === 0) && medianP99 < 50;
  const result = runs[runs.length - 1]?.result;
  if (!result) throw new Error('BENCH_HTTP_REPEATS must be at least 1');
  const lines = [
    `Command: \`npm run build && npm run bench -- http\` (\`BENCH_HTTP_RATE\`, \`BENCH_HTTP_SECONDS\`, \`BENCH_HTTP_REPEATS\` (default 5); Node ${process.version}). The built service runs as its own process (${process.env['BENCH_NO_WORKER'] ? 'no worker (`--no-worker`)' : 'worker on, in its own thread'}, SQLite \`synchronous: full\`, sandbox CRM); this process sends signed Standard Webhooks deliveries of new webform leads at a fixed rate (open loop) and times each response. ${repeats} runs, one after the other, each on a new database.`,
    '',
    '| run | rate (req/s) | seconds | sent | 202 | failed (by cause) | p50 | p95 | p99 | max | contacts written by the worker when sending ended | 1-min load average (start → end, 2 cores) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map(({ result: run, loadBefore, loadAfter }, index) => `| ${index + 1} | ${run.rate} | ${run.seconds} | ${run.sent} | ${run.accepted} | ${run.failed} ${JSON.stringify(run.failures)} | ${run.p50Ms.toFixed(1)} ms | ${run.p95Ms.toFixed(1)} ms | ${run.p99Ms.toFixed(1)} ms | ${run.maxMs.toFixed(1)} ms | ${run.writtenWhenSendingEnded === null ? '—' : run.writtenWhenSendingEnded.toLocaleString('en-US')} | ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} |`),
    '',
    `Median p99 over the runs: ${medianP99.toFixed(1)} ms; p99 under 50 ms in ${under} of ${runs.length} runs. The contacts column says how far the worker had got when the last response came back (${rate * Number(process.env['BENCH_HTTP_SECONDS'] ?? 10)} sent): ingest commits take the SQLite write lock ahead of the worker's transactions (docs/decisions/0020-write-turn-handoff.md), and the worker works through the rest after the burst. Latency under a fixed rate depends directly on other load on the machine (the sender and the service share its 2 cores).`,
    ...(result.cpuMsPerRequest
      ? [
          '',
          `CPU time of the service per request while sending, last run (from /proc, independent of other load): ${result.cpuMsPerRequest.mainThread.toFixed(2)} ms on the main (HTTP) thread, ${result.cpuMsPerRequest.otherThreads.toFixed(2)} ms on its other threads (the worker thread, libuv, GC). At ${result.rate} req/s the HTTP thread needs ${((result.cpuMsPerRequest.mainThread * result.rate) / 1000).toFixed(2)} of a core.`,
        ]
      : []),
    ...(result.eventLoopDelayMs
      ? ['', `Event-loop delay of the service's HTTP thread while sending, last run (prom-client, \`/metrics\`): p99 ${result.eventLoopDelayMs.p99.toFixed(1)} ms, max ${result.eventLoopDelayMs.max.toFixed(1)} ms — a synchronous wait on that thread shows here.`]
      : []),
    '',
    'Target: p99 < 50 ms at 500 signed requests/s.',
    '',
    met
      ? 'Met: median p99 under 50 ms, nothing failed.'
      : 'Not met by the median of these runs. The HTTP thread runs no SQLite commit, fsync, lock wait or WAL checkpoint on the ingest path (ingest writer thread, checkpoint thread: docs/decisions/0014-nonblocking-ingest-writes.md); what remains on it is request handling, signature checks and the core\'s identity step. Compare with `BENCH_NO_WORKER=1` on the same machine state, and look at the load average: the sender and the service share the machine\'s cores with everything else running.',
  ];
  writeBenchmarkSection('http', 'HTTP ingest latency under load', lines.join('\n'));
  console.log(lines.join('\n'));
}

if (!only || only === 'operator') {
  const { reportOperatorLatencyBenchmark } = await import('./operator-latency-benchmark.js');
  await reportOperatorLatencyBenchmark();
}

if (!only || only === 'crm') {
  const { reportCrmGovernorBenchmark } = await import('./crm-governor-benchmark.js');
  await reportCrmGovernorBenchmark(Number(process.env['BENCH_CRM_LEADS'] ?? 50_000), (process.env['BENCH_CRM_REALTIME_RATE'] ?? '2,0.2').split(',').map(Number), Number(process.env['BENCH_CRM_SLO_MS'] ?? 2_000), Number(process.env['BENCH_CRM_CEILING_SECONDS'] ?? 20));
}

if (!only || only === 'postgres') {
  const { reportPostgresBenchmark } = await import('./pg-pipeline-benchmark.js');
  await reportPostgresBenchmark(Number(process.env['BENCH_PG_EVENTS'] ?? 10_000), (process.env['BENCH_PG_WORKERS'] ?? '1,2,4').split(',').map(Number));
}

if (!only || only === 'dashboard') {
  const { reportDashboardQueriesBenchmark } = await import('./dashboard-queries-benchmark.js');
  await reportDashboardQueriesBenchmark(Number(process.env['BENCH_DASHBOARD_ROWS'] ?? 1_000_000));
}

if (!only || only === 'sandbox') {
  const { reportSandboxCrmBenchmark } = await import('./sandbox-crm-benchmark.js');
  await reportSandboxCrmBenchmark(Number(process.env['BENCH_SANDBOX_EVENTS'] ?? 20_000), Number(process.env['BENCH_SANDBOX_REPEATS'] ?? 3));
}
