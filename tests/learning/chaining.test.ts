/**
 * Gain chaining (eq. 2 and 7) against central differences of the closed-loop rollout
 * x_{s+1} = f(x_s, u_bar_s + K_s (x_s - x_bar_s)) started from a perturbed x_t, on the
 * pendulum and the double pendulum with random nominal trajectories and random gains.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/autodiff/index.js';
import { type DiscreteDynamics, createModel } from '../../src/dynamics/index.js';
import { type ActionKind, chunkJacobian, chunkJacobianWithHistory } from '../../src/learning/chaining.js';

const SEED = 7201;

/**
 * Scales of the random controls and gains: the double pendulum's links weigh 0.2 and 0.3 kg
 * (inertia ~1e-3), so a torque of 1 N m accelerates them at ~1e3 rad/s^2; its scales keep
 * the nominal motion in the range the solver produces.
 */
const SCALES = { pendulum: [1, 2], doublePendulum: [0.02, 0.05] } as const;

interface Nominal {
  xs: Float64Array[];
  us: Float64Array[];
  K: Float64Array[];
  fx: Float64Array[];
  fu: Float64Array[];
}

/** A random nominal rollout with random gains and the model's Jacobians along it. */
function nominal(model: DiscreteDynamics, rng: Rng, T: number, uScale = 1, kScale = 2): Nominal {
  const { nx, nu, ndx } = model;
  const xs = [Float64Array.from(rng.normal([nx], 0, 0.5).data)];
  const us: Float64Array[] = [];
  const K: Float64Array[] = [];
  const fx: Float64Array[] = [];
  const fu: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const u = Float64Array.from(rng.normal([nu], 0, uScale).data);
    const next = new Float64Array(nx);
    model.step(xs[t], u, next);
    const jx = new Float64Array(ndx * ndx);
    const ju = new Float64Array(ndx * nu);
    model.jacobians(xs[t], u, jx, ju);
    us.push(u);
    xs.push(next);
    fx.push(jx);
    fu.push(ju);
    K.push(Float64Array.from(rng.normal([nu * ndx], 0, kScale).data));
  }
  return { xs, us, K, fx, fu };
}

/** Actions of the closed-loop rollout from x_t = x_bar_t + dx (vector-space states). */
function closedLoopActions(model: DiscreteDynamics, n: Nominal, t: number, horizon: number, dx: Float64Array, kind: ActionKind): number[] {
  const { nx, nu } = model;
  let x = Float64Array.from(n.xs[t], (v, i) => v + dx[i]);
  const actions: number[] = [];
  for (let h = 0; h < horizon; h++) {
    const s = t + h;
    const u = new Float64Array(nu);
    for (let i = 0; i < nu; i++) {
      let v = n.us[s][i];
      for (let j = 0; j < nx; j++) v += n.K[s][i * nx + j] * (x[j] - n.xs[s][j]);
      u[i] = v;
    }
    const next = new Float64Array(nx);
    model.step(x, u, next);
    actions.push(...(kind === 'torque' ? u : next));
    x = next;
  }
  return actions;
}

describe(`gain chaining matches the closed-loop rollout (seed ${SEED})`, () => {
  for (const name of ['pendulum', 'doublePendulum'] as const) {
    for (const kind of ['torque', 'state'] as const) {
      it(`${name}, ${kind} actions`, () => {
        const model = createModel(name);
        fc.assert(
          fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 8 }), (seed, horizon) => {
            const rng = new Rng(seed);
            const T = 12;
            const n = nominal(model, rng, T, SCALES[name][0], SCALES[name][1]);
            const t = rng.int(T - horizon + 1);
            const jac = chunkJacobian(n, t, horizon, kind);
            const na = kind === 'torque' ? model.nu : model.ndx;
            const h = 1e-6;
            for (let j = 0; j < model.ndx; j++) {
              const e = new Float64Array(model.ndx);
              e[j] = h;
              const plus = closedLoopActions(model, n, t, horizon, e, kind);
              e[j] = -h;
              const minus = closedLoopActions(model, n, t, horizon, e, kind);
              for (let r = 0; r < horizon * na; r++) {
                const fd = (plus[r] - minus[r]) / (2 * h);
                const ad = jac[r * model.ndx + j];
                // Central differences: O(h^2) truncation and O(eps / h) rounding, ~1e-9 here.
                expect(Math.abs(ad - fd)).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
              }
            }
          }),
          { seed: SEED, numRuns: 10 },
        );
      });
    }
  }

  it('history columns of older states are zero, the last equals the single-state target', () => {
    const model = createModel('pendulum');
    const n = nominal(model, new Rng(1), 6);
    const single = chunkJacobian(n, 1, 4, 'torque');
    const withHistory = chunkJacobianWithHistory(n, 1, 4, 'torque', 3);
    const ndx = model.ndx;
    for (let r = 0; r < single.length / ndx; r++) {
      for (let o = 0; o < 3; o++) {
        for (let j = 0; j < ndx; j++) {
          const v = withHistory[(r * 3 + o) * ndx + j];
          expect(v).toBe(o === 2 ? single[r * ndx + j] : 0);
        }
      }
    }
  });

  it('rejects chunks that do not fit the trajectory', () => {
    const n = nominal(createModel('pendulum'), new Rng(2), 5);
    expect(() => chunkJacobian(n, 3, 3, 'torque')).toThrow(/does not fit/);
  });
});
