/**
 * Shared helpers of the dynamics tests: the seed, random states on each model's manifold,
 * compiled integrate / difference, and central differences taken on the manifold.
 *
 * ## Tolerances
 *
 * - Central differences (FD_TOL = 1e-6, H = 1e-5). The difference quotient
 *   (g(+h) - g(-h)) / 2h of a smooth g has error h^2 |g'''| / 6 + eps |g| / h, that is about
 *   1.7e-11 |g'''| + 2.2e-11 |g| here. For these models |g| and |g'''| are at most ~1e3 in
 *   the units of the state (UR5 at random configurations and velocities of order 1), so the
 *   error is below ~1e-8; we accept 1e-6 of the Jacobian's scale (max(1, |J|_inf)), a 100x
 *   margin, while a wrong derivative is off by O(1) of that scale.
 * - Exact identities in real arithmetic (RNEA(ABA(tau)) = tau, compiled = eager, CRBA = the
 *   Jacobian of RNEA in qdd), EXACT_TOL = 1e-9 relative to the scale of the terms. The
 *   algorithms run a few hundred to a few thousand floating-point operations, each rounding
 *   by 1.1e-16 relative to magnitudes of at most the scale, and ABA's solves amplify that by
 *   the condition number of the articulated inertias (up to ~1e3 for UR5 with its large
 *   wrist inertias): 1e3 ops x 1e-16 x 1e3 = 1e-10, so 1e-9 leaves a 10x margin.
 */
import { expect } from 'vitest';
import { type Jitted, Rng, type Tensor, jit } from '../../src/autodiff/index.js';
import type { DiscreteDynamics, StateManifold } from '../../src/dynamics/index.js';
import { MultibodyDynamics } from '../../src/dynamics/index.js';

export const SEED = 20260405;
export const H = 1e-5;
export const FD_TOL = 1e-6;
export const EXACT_TOL = 1e-9;

export function infNorm(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Elementwise |a - b| <= tol * scale, with a message that says where. */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, scale: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * scale)) {
      expect.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]} (error ${err.toExponential(2)} > ${tol} x ${scale.toExponential(2)})`);
    }
  }
}

/** A random unit quaternion (x, y, z, w), uniform on the sphere. */
export function randomQuaternion(rng: Rng): number[] {
  const q = rng.normal([4]).toArray();
  const n = Math.hypot(...q);
  return q.map((v) => v / n);
}

/**
 * A random state of a model: joint angles uniform in [-pi, pi], velocities normal with
 * standard deviation `speed`; for the quadrotor a random position and orientation; for the
 * unicycle (x, y, theta) normal. Controls uniform inside the bounds (normal when unbounded).
 */
export function randomState(model: DiscreteDynamics, rng: Rng, speed = 1): Float64Array {
  const x = new Float64Array(model.nx);
  if (model instanceof MultibodyDynamics) {
    const m = model.model;
    for (const b of m.bodies) {
      if (b.joint.kind === 'freeflyer') {
        x.set(rng.normal([3]).toArray(), b.idxQ);
        x.set(randomQuaternion(rng), b.idxQ + 3);
      } else {
        x[b.idxQ] = rng.uniform([1], -Math.PI, Math.PI).item();
      }
    }
    x.set(rng.normal([m.nv], 0, speed).toArray(), m.nq);
    return x;
  }
  x.set(rng.normal([model.nx]).toArray());
  return x;
}

export function randomControl(model: DiscreteDynamics, rng: Rng): Float64Array {
  const u = new Float64Array(model.nu);
  const b = model.controlBounds;
  for (let i = 0; i < model.nu; i++) u[i] = b === null ? rng.normal([1]).item() : rng.uniform([1], b.lower[i], b.upper[i]).item();
  return u;
}

/** Compiled integrate and difference of a manifold, for finite differences. */
export class ManifoldOps {
  private readonly integrateJit: Jitted<Tensor>;
  private readonly differenceJit: Jitted<Tensor>;

  constructor(readonly manifold: StateManifold) {
    this.integrateJit = jit((x: Tensor, d: Tensor) => manifold.integrate(x, d), [[manifold.nx], [manifold.ndx]]);
    this.differenceJit = jit((a: Tensor, b: Tensor) => manifold.difference(a, b), [[manifold.nx], [manifold.nx]]);
  }

  integrate(x: ArrayLike<number>, d: ArrayLike<number>): Float64Array {
    return this.integrateJit.run([x, d])[0];
  }

  difference(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
    return this.differenceJit.run([a, b])[0];
  }
}

/**
 * Central-difference Jacobian (rows: output tangent, columns: input direction) of
 * e -> g(e) at e = 0, where g maps an n-vector to an m-vector; row-major m x n.
 */
export function centralJacobian(g: (e: Float64Array) => Float64Array, n: number, m: number, h = H): Float64Array {
  const J = new Float64Array(m * n);
  for (let j = 0; j < n; j++) {
    const e = new Float64Array(n);
    e[j] = h;
    const plus = g(e);
    e[j] = -h;
    const minus = g(e);
    for (let i = 0; i < m; i++) J[i * n + j] = (plus[i] - minus[i]) / (2 * h);
  }
  return J;
}

export { Rng };
