/**
 * Every catalogue model's compiled step and tangent-space Jacobians: the step against the eager
 * `stepTensor` (the source of truth), f_x and f_u against central differences taken on the
 * manifold, f_x(j) = (y(+h e_j) (-) y(-h e_j)) / 2h read through `difference` from y0 = f(x, u):
 *   f_x column j = [d(y0, f(x (+) h e_j, u)) - d(y0, f(x (+) -h e_j, u))] / 2h,
 *   f_u column j = [d(y0, f(x, u + h e_j)) - d(y0, f(x, u - h e_j))] / 2h.
 * Tolerances are explained in helpers.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/autodiff/index.js';
import { MODEL_NAMES, createModel } from '../../src/dynamics/index.js';
import {
  EXACT_TOL, FD_TOL, ManifoldOps, Rng, SEED, centralJacobian, expectAllClose, infNorm, randomControl, randomState,
} from './helpers.js';

const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe(`compiled dynamics of every model (seed ${SEED})`, () => {
  for (const name of MODEL_NAMES) {
    describe(name, () => {
      const model = createModel(name);
      const ops = new ManifoldOps(model.manifold);
      const { nx, ndx, nu } = model;
      const stepOf = (x: ArrayLike<number>, u: ArrayLike<number>) => {
        const out = new Float64Array(nx);
        model.step(x, u, out);
        return out;
      };

      it('compiled step equals the eager stepTensor', () => {
        fc.assert(
          fc.property(seedArb, (seed) => {
            const rng = new Rng(seed);
            const x = randomState(model, rng);
            const u = randomControl(model, rng);
            const eager = model.stepTensor(tensor(x), tensor(u)).toArray();
            const compiled = stepOf(x, u);
            expectAllClose(compiled, eager, EXACT_TOL, Math.max(1, infNorm(eager)), `${name} step`);
          }),
          { seed: SEED, numRuns: name === 'ur5' || name === 'quadrotor' ? 3 : 10 },
        );
      });

      it('f_x and f_u match central differences on the manifold', () => {
        fc.assert(
          fc.property(seedArb, (seed) => {
            const rng = new Rng(seed);
            const x = randomState(model, rng);
            const u = randomControl(model, rng);
            const fx = new Float64Array(ndx * ndx);
            const fu = new Float64Array(ndx * nu);
            model.jacobians(x, u, fx, fu);
            const y0 = stepOf(x, u);
            const fdX = centralJacobian((e) => ops.difference(y0, stepOf(ops.integrate(x, e), u)), ndx, ndx);
            const fdU = centralJacobian((e) => ops.difference(y0, stepOf(x, u.map((v, i) => v + e[i]))), nu, ndx);
            expectAllClose(fx, fdX, FD_TOL, Math.max(1, infNorm(fdX)), `${name} f_x`);
            expectAllClose(fu, fdU, FD_TOL, Math.max(1, infNorm(fdU)), `${name} f_u`);
          }),
          { seed: SEED, numRuns: 20 },
        );
      });
    });
  }

  it('compiled Jacobians equal the eager jacobiansTensor (double pendulum, cartpole)', () => {
    for (const name of ['doublePendulum', 'cartpole'] as const) {
      const model = createModel(name);
      const rng = new Rng(SEED);
      for (let k = 0; k < 3; k++) {
        const x = randomState(model, rng);
        const u = randomControl(model, rng);
        const [fxT, fuT] = model.jacobiansTensor(tensor(x), tensor(u));
        const fx = new Float64Array(model.ndx * model.ndx);
        const fu = new Float64Array(model.ndx * model.nu);
        model.jacobians(x, u, fx, fu);
        expectAllClose(fx, fxT.toArray(), EXACT_TOL, Math.max(1, infNorm(fxT.toArray())), `${name} f_x`);
        expectAllClose(fu, fuT.toArray(), EXACT_TOL, Math.max(1, infNorm(fuT.toArray())), `${name} f_u`);
      }
    }
  });

  it('the unicycle has Crocoddyl closed-form Jacobians', () => {
    const model = createModel('unicycle');
    const x = [0.3, -0.2, 0.7];
    const u = [1.5, -0.4];
    const fx = new Float64Array(9);
    const fu = new Float64Array(6);
    model.jacobians(x, u, fx, fu);
    const dt = 0.1;
    const [c, s] = [Math.cos(0.7), Math.sin(0.7)];
    expectAllClose(fx, [1, 0, -1.5 * s * dt, 0, 1, 1.5 * c * dt, 0, 0, 1], 1e-15, 1, 'unicycle f_x');
    expectAllClose(fu, [c * dt, 0, s * dt, 0, 0, dt], 1e-15, 1, 'unicycle f_u');
    expect(model.controlBounds).toBeNull();
  });
});
