/**
 * `npm run bench`: the engine's benchmarks in one run: compute kernels (GFLOP/s, U-Net conv
 * shapes), per-op overhead, the solvers' small dense linear algebra, and the transformations
 * (vmap(grad) per-example gradients, rollout gradients through scan: transformations.ts; run
 * under --expose-gc, as the npm script does, for the memory kept). Each part prints a
 * readable table; the last line is one JSON object holding every figure.
 */
import { benchKernels } from './kernels.js';
import { benchLinalg } from './linalg.js';
import { benchOverhead } from './overhead.js';
import { benchTransformations } from './transformations.js';

const t0 = performance.now();
const kernels = await benchKernels();
console.log();
const overhead = benchOverhead();
console.log();
const linalg = await benchLinalg();
console.log();
const transformations = benchTransformations();
console.log(`\nbench took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log(JSON.stringify({ kernels, overhead, linalg, transformations }));
