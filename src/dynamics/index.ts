/**
 * Rigid-body dynamics: spatial algebra, kinematic trees, RNEA / CRBA / ABA, frames and their
 * Jacobians, state manifolds, integrators, and the model catalogue, all written once with the
 * autodiff engine's ops (the differentiable reference) and compiled with `jit` (the fast path).
 *
 * Reading order: spatial.ts, joints.ts (with liegroup.ts), model.ts, kinematics.ts, rnea.ts,
 * crba.ts, aba.ts, manifolds.ts, integrators.ts, discrete.ts, multibody.ts, models/.
 */
export type { StateManifold, ControlBounds, DiscreteDynamics } from './interface.js';
export * from './errors.js';
export * from './spatial.js';
export * from './liegroup.js';
export * from './joints.js';
export * from './model.js';
export * from './kinematics.js';
export * from './rnea.js';
export * from './crba.js';
export * from './aba.js';
export * from './energy.js';
export * from './manifolds.js';
export * from './integrators.js';
export * from './discrete.js';
export * from './multibody.js';
export * from './models/index.js';
