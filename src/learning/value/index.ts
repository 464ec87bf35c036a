/**
 * Value learning (DVP), as the package's `value` namespace of `sobolev-to/learning`: the
 * value networks, Sobolev regression, value samples from solves, the DVP loop and the
 * comparison of architectures.
 */
export * from './dvp.js';
export * from './network.js';
export * from './samples.js';
export * from './sobolev.js';
export * from './compare.js';
