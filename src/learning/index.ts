/**
 * The package's `sobolev-to/learning`: the papers' algorithms on top of the stack,
 * task-agnostic. Gain chaining (eq. 2, 7), chunk and pair datasets, MLP policies, trajectory
 * collection and Alg. 1, the evaluation protocol, the methods, and the jobs with their worker
 * pool (Node worker threads; in a browser build the pool is unavailable and `runJob` runs a
 * job where it is called); the consensus paper's algorithms, value learning (DVP) and the RL
 * baselines (PPO, SAC) as the namespaces `consensus`, `value` and `rl`. The Redis job queue
 * (workers/queue.ts) is the experiments' and stays out: it needs a Redis server and Node's
 * sockets.
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
// The other papers' families as namespaces (their names overlap: CurvePoint, ...).
export * as consensus from './consensus/index.js';
export * as value from './value/index.js';
export * as rl from './rl/index.js';
