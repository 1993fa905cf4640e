import { runPipelineBenchmark } from './pipeline-benchmark.js';
console.log(await runPipelineBenchmark(Number(process.argv[2] ?? 5000), (process.argv[3] as 'full') ?? 'full'));
