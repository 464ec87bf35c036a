/**
 * The rigid-body algorithms against each other, evaluated eagerly (the reference path), at
 * random states: RNEA(q, v, ABA(q, v, tau)) = tau; the CRBA matrix is symmetric positive
 * definite and equals d RNEA / d qdd; M(q) qdd + b(q, v) = tau; frame Jacobians are the
 * derivative of the frame's placement. EXACT_TOL and FD_TOL are explained in helpers.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tensor, add, grad, jacfwd, matmul, tensor, zeros } from '../../src/autodiff/index.js';
import {
  type MultibodyDynamics, aba, crba, createModel, frameJacobian, frameTranslation, gravityTorques, nonLinearEffects,
  potentialEnergy, rnea,
} from '../../src/dynamics/index.js';
import { unrolledCholesky } from '../../src/linalg/index.js';
import { EXACT_TOL, FD_TOL, Rng, SEED, centralJacobian, expectAllClose, infNorm, randomState } from './helpers.js';

const MODELS = ['pendulum', 'doublePendulum', 'cartpole', 'ur5', 'quadrotor'] as const;
const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** A random (q, v, tau) for a model; tau normal with standard deviation 1 (N, N m). */
function sample(model: MultibodyDynamics, seed: number): { q: Tensor; v: Tensor; tau: Tensor } {
  const rng = new Rng(seed);
  const x = randomState(model, rng);
  const m = model.model;
  return { q: tensor(x.subarray(0, m.nq)), v: tensor(x.subarray(m.nq)), tau: rng.normal([m.nv]) };
}

describe(`RNEA, CRBA and ABA agree (seed ${SEED})`, () => {
  for (const name of MODELS) {
    const model = createModel(name);
    const m = model.model;
    const runs = name === 'ur5' ? 8 : 15;

    it(`${name}: RNEA(q, v, ABA(q, v, tau)) = tau and M qdd + b = tau`, () => {
      fc.assert(
        fc.property(seedArb, (seed) => {
          const { q, v, tau } = sample(model, seed);
          const qdd = aba(m, q, v, tau);
          const b = nonLinearEffects(m, q, v);
          const M = crba(m, q);
          // The scale of the terms that cancel: tau, b and M qdd.
          const scale = Math.max(1, infNorm(tau.toArray()), infNorm(b.toArray()));
          expectAllClose(rnea(m, q, v, qdd).toArray(), tau.toArray(), EXACT_TOL, scale, `${name} RNEA(ABA)`);
          expectAllClose(add(matmul(M, qdd), b).toArray(), tau.toArray(), EXACT_TOL, scale, `${name} M qdd + b`);
        }),
        { seed: SEED, numRuns: runs },
      );
    });

    it(`${name}: CRBA is symmetric positive definite and equals d RNEA / d qdd`, () => {
      fc.assert(
        fc.property(seedArb, (seed) => {
          const { q, v } = sample(model, seed);
          const M = crba(m, q).toArray();
          const n = m.nv;
          const scale = Math.max(1e-3, infNorm(M));
          for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(Math.abs(M[i * n + j] - M[j * n + i])).toBeLessThanOrEqual(EXACT_TOL * scale);
          // Cholesky runs to the end with positive pivots only on a positive definite matrix.
          const L = unrolledCholesky(tensor(M, [n, n]));
          for (let i = 0; i < n; i++) expect(L[i][i].item()).toBeGreaterThan(0);
          // RNEA is affine in qdd, so its Jacobian there is exact: M.
          const J = jacfwd((a: Tensor) => rnea(m, q, v, a))(zeros([n])).toArray();
          expectAllClose(J, M, EXACT_TOL, scale, `${name} d RNEA / d qdd`);
        }),
        { seed: SEED, numRuns: runs },
      );
    });
  }

  it('gravity torques are the gradient of the potential energy, g(q) = dV/dq', () => {
    for (const name of ['doublePendulum', 'cartpole', 'ur5'] as const) {
      const m = createModel(name).model;
      fc.assert(
        fc.property(seedArb, (seed) => {
          const { q } = sample(createModel(name), seed);
          const g = gravityTorques(m, q).toArray();
          const dV = grad((qq: Tensor) => potentialEnergy(m, qq))(q).toArray();
          expectAllClose(g, dV, EXACT_TOL, Math.max(1, infNorm(g)), `${name} g(q)`);
        }),
        { seed: SEED, numRuns: 5 },
      );
    }
  });

  it('frame Jacobians (localWorldAligned, linear rows) are d frameTranslation / dq', () => {
    for (const name of ['doublePendulum', 'ur5', 'cartpole'] as const) {
      const model = createModel(name);
      const m = model.model;
      const frame = model.endEffectorIndex;
      fc.assert(
        fc.property(seedArb, (seed) => {
          const { q } = sample(model, seed);
          const J = frameJacobian(m, q, frame).toArray();
          const dp = jacfwd((qq: Tensor) => frameTranslation(m, qq, frame))(q).toArray();
          expectAllClose(J.slice(0, 3 * m.nv), dp, EXACT_TOL, Math.max(1, infNorm(dp)), `${name} J_lin`);
          // And against central differences of the placement, for the linear rows.
          const base = q.toArray();
          const fd = centralJacobian((e) => Float64Array.from(frameTranslation(m, tensor(base.map((v, i) => v + e[i])), frame).toArray()), m.nv, 3);
          expectAllClose(J.slice(0, 3 * m.nv), fd, FD_TOL, Math.max(1, infNorm(fd)), `${name} J_lin (fd)`);
        }),
        { seed: SEED, numRuns: 4 },
      );
    }
  });
});
