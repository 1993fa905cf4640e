import { runKillDurabilityTest } from '../kill-durability-benchmark.js';
console.log(await runKillDurabilityTest('normal', 3));
