/**
 * Trajectory optimization: problem definition, compiled costs and constraints, DDP / box-DDP,
 * FDDP, an augmented-Lagrangian constrained solver, and the solution of DESIGN section 3
 * (xs, us, K = du/dx, k, Vx, Vxx, ...).
 */
export * from './problem.js';
export * from './costs.js';
export * from './solution.js';
export { type SolverOptions, type InitialGuess, type ShootingMode, defaultSolverOptions, solveCore } from './core.js';
export { solveDdp } from './ddp.js';
export { solveFddp } from './fddp.js';
export { solveBoxQp, BoxQpWorkspace, type BoxQpStatus, type BoxQpOptions, defaultBoxQpOptions } from './boxqp.js';
export { compileManifold, compileDynamicsCurvature, type CompiledManifold, type DynamicsCurvature } from './compiled.js';
export { type Objective, costObjective, discountWeights } from './objective.js';
export * from './initial-guess.js';
export * from './constraints.js';
export { solveConstrained, defaultConstrainedOptions, type ConstrainedOptions, type ConstrainedGuess } from './constrained.js';
export { type SolverName, constraintViolation, solveOcp, trajectoryCost } from './solve.js';
export { InitialGuessError, SolverOptionsError } from './inputs.js';
export * from './consensus-cost.js';
export * from './learned-costs.js';
