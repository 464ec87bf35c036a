/**
 * Dense linear algebra for the solvers: small (n = 1..12) row-major float64 matrices,
 * allocation-free kernels writing into caller-provided outputs, and typed errors.
 * See README.md in this folder for the conventions and a map of the modules.
 */
export * from './errors.js';
export * from './matrix.js';
export * from './triangular.js';
export * from './cholesky.js';
export * from './ldlt.js';
export * from './lu.js';
export * from './qr.js';
export * from './eigen.js';
/** Unrolled into scalar engine ops, for code that `jit` stages (the rigid-body algorithms). */
export { unrolledCholesky, unrolledCholeskySolve, unrolledSpdInverse } from './unrolled.js';
/** Differentiable versions (autodiff primitives): solve, triangularSolve, cholesky, choleskySolve, logdet, eigh. */
export * as differentiable from './differentiable.js';
