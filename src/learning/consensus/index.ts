/**
 * The consensus paper (Le Lidec et al., ICRA 2023): PDDP, PLAL (ADMM) with +S, +M, -C, and
 * the PODS and DPL baselines, as settings of one loop on any task with box controls.
 */
export * from './algorithms.js';
export * from './consensus.js';
export * from './oc-solve.js';
export * from './policy.js';
export * from './simulator.js';
export * from './compare.js';
