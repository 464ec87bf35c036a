/**
 * Value learning (DVP), as the package's `value` namespace of `sobolev-to/learning`: the
 * value networks, Sobolev regression, value samples from solves, the DVP loop, the
 * comparison of architectures, receding-horizon control with a learned value and the
 * comparison with PPO's critic.
 */
export * from './dvp.js';
export * from './network.js';
export * from './samples.js';
export * from './sobolev.js';
export * from './compare.js';
export * from './receding.js';
export * from './critic.js';
