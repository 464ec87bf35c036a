/**
 * State manifolds: integrate(x, difference(x, y)) = y, difference(x, integrate(x, d)) = d,
 * and the tangent-space Jacobians of integrate and difference against central differences
 * on the manifold, for the vector space and for the free flyer (SE(3) x R^6). Tangents are
 * drawn at ordinary sizes and also at rotation angles just below and above the switch to
 * Taylor series (theta^2 = 1e-3), so both branches of every map are checked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/autodiff/index.js';
import { MultibodyState, VectorSpace, createModel, expQuaternion, logQuaternion } from '../../src/dynamics/index.js';
import {
  EXACT_TOL, FD_TOL, ManifoldOps, Rng, SEED, centralJacobian, expectAllClose, infNorm, randomState,
} from './helpers.js';

const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** Compare states, a free flyer's quaternion up to sign (q and -q are one rotation). */
function expectSameState(a: Float64Array, b: Float64Array, quatOffset: number | null, what: string): void {
  const bb = Float64Array.from(b);
  if (quatOffset !== null) {
    const dotq = [0, 1, 2, 3].reduce((s, k) => s + a[quatOffset + k] * b[quatOffset + k], 0);
    if (dotq < 0) for (let k = 0; k < 4; k++) bb[quatOffset + k] = -bb[quatOffset + k];
  }
  expectAllClose(a, bb, EXACT_TOL, Math.max(1, infNorm(b)), what);
}

/** A random tangent; its rotational part (indices 3..5 for the free flyer) of angle `angle` if given. */
function tangent(rng: Rng, ndx: number, angle?: number): Float64Array {
  const d = Float64Array.from(rng.normal([ndx]).toArray());
  if (angle !== undefined) {
    const n = Math.hypot(d[3], d[4], d[5]);
    for (let k = 3; k < 6; k++) d[k] *= angle / n;
  }
  return d;
}

const quadrotor = createModel('quadrotor');
const CASES = [
  { name: 'free flyer (quadrotor state)', manifold: quadrotor.manifold, quat: 3, random: (rng: Rng) => randomState(quadrotor, rng) },
  { name: 'vector space R^4', manifold: new VectorSpace(4), quat: null, random: (rng: Rng) => Float64Array.from(rng.normal([4]).toArray()) },
  { name: 'double pendulum state', manifold: createModel('doublePendulum').manifold, quat: null, random: (rng: Rng) => Float64Array.from(rng.normal([4]).toArray()) },
];
// Rotation angles: ordinary, and around the Taylor switch at theta = sqrt(1e-3) = 0.0316.
const ANGLES = [undefined, 0.03, 0.033, 1e-6, 3.0];

describe(`state manifolds (seed ${SEED})`, () => {
  for (const c of CASES) {
    const ops = new ManifoldOps(c.manifold);
    const { ndx } = c.manifold;
    const angles = c.quat === null ? [undefined] : ANGLES;

    it(`${c.name}: integrate(x, difference(x, y)) = y and difference(x, integrate(x, d)) = d`, () => {
      fc.assert(
        fc.property(seedArb, fc.constantFrom(...angles), (seed, angle) => {
          const rng = new Rng(seed);
          const x = c.random(rng);
          const y = c.random(rng);
          expectSameState(ops.integrate(x, ops.difference(x, y)), y, c.quat, 'integrate(x, y - x)');
          const d = tangent(rng, ndx, angle);
          expectAllClose(ops.difference(x, ops.integrate(x, d)), d, EXACT_TOL, Math.max(1, infNorm(d)), 'difference(x, x + d)');
          expectAllClose(ops.difference(x, x), new Float64Array(ndx), EXACT_TOL, 1, 'difference(x, x)');
        }),
        { seed: SEED, numRuns: 40 },
      );
    });

    it(`${c.name}: Jacobians of integrate and difference match central differences`, () => {
      const M = c.manifold as MultibodyState | VectorSpace;
      fc.assert(
        fc.property(seedArb, fc.constantFrom(...angles), (seed, angle) => {
          const rng = new Rng(seed);
          const x = c.random(rng);
          const d = tangent(rng, ndx, angle);
          const y = ops.integrate(x, d);
          const { Jx, Jdx } = M.integrateJacobians(x, d);
          const fdX = centralJacobian((e) => ops.difference(y, ops.integrate(ops.integrate(x, e), d)), ndx, ndx);
          const fdD = centralJacobian((e) => ops.difference(y, ops.integrate(x, d.map((v, i) => v + e[i]))), ndx, ndx);
          expectAllClose(Jx, fdX, FD_TOL, Math.max(1, infNorm(fdX)), 'd integrate / dx');
          expectAllClose(Jdx, fdD, FD_TOL, Math.max(1, infNorm(fdD)), 'd integrate / d dx');
          const x1 = c.random(rng);
          const { J0, J1 } = M.differenceJacobians(x, x1);
          const fd0 = centralJacobian((e) => ops.difference(ops.integrate(x, e), x1), ndx, ndx);
          const fd1 = centralJacobian((e) => ops.difference(x, ops.integrate(x1, e)), ndx, ndx);
          expectAllClose(J0, fd0, FD_TOL, Math.max(1, infNorm(fd0)), 'd difference / dx0');
          expectAllClose(J1, fd1, FD_TOL, Math.max(1, infNorm(fd1)), 'd difference / dx1');
        }),
        { seed: SEED, numRuns: 20 },
      );
    });
  }

  it('the vector space has the closed-form Jacobians I, I, -I, I', () => {
    const V = new VectorSpace(3);
    const { Jx, Jdx } = V.integrateJacobians([1, 2, 3], [0.1, 0.2, 0.3]);
    const { J0, J1 } = V.differenceJacobians([1, 2, 3], [0, 0, 0]);
    expect(Array.from(Jx)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Array.from(Jdx)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Array.from(J0)).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, -1]);
    expect(Array.from(J1)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('Exp and Log of SO(3) are inverse, at the identity and up to angle pi', () => {
    for (const angle of [0, 1e-8, 0.0316, 0.5, 2, 3.14]) {
      const w = [0.6, -0.48, 0.64].map((v) => v * angle);
      const back = logQuaternion(expQuaternion(tensor(w))).toArray();
      expectAllClose(back, w, 1e-14, 1, `Log(Exp(w)), angle ${angle}`);
    }
  });
});
