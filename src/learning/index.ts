/**
 * The papers' algorithms on top of the stack, task-agnostic: gain chaining (eq. 2, 7), chunk
 * and pair datasets, MLP policies, trajectory collection and Alg. 1, the evaluation protocol,
 * the methods, the consensus paper's algorithms (consensus/), value learning (value/: DVP),
 * and the jobs with their worker pool (Node worker threads; in a browser build the pool is
 * unavailable and `runJob` runs a job where it is called). The package's `sobolev-to/learning`.
 */
export * from './chaining.js';
export * from './chunks.js';
export * from './collect.js';
export * from './evaluate.js';
export * from './interplay.js';
export * from './methods.js';
export * from './mlp-policy.js';
export * from './policies.js';
export * from './workers/jobs.js';
export { WorkerPool } from './workers/pool.js';
export * from './consensus/index.js';
export * from './value/dvp.js';
export * from './value/network.js';
export * from './value/samples.js';
export * from './value/sobolev.js';
