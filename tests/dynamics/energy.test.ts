/**
 * Energy conservation: a passive (tau = 0) double pendulum and UR5, integrated by RK4 with
 * dt = 1e-3 for one second (1000 steps of the compiled step), keep their total energy within
 * 1e-6 relative. RK4's local error is O((dt w)^5) for motions of frequency w; with joint
 * speeds of a few rad/s that is ~1e-12 per step and ~1e-9 over the second, so 1e-6 would
 * catch any inconsistency between the kinetic energy (from the inertias) and the dynamics
 * (ABA), which would drift at O(1).
 *
 * "Relative" is relative to T0 + |V0|, the sizes of the kinetic and potential energies at
 * the start (the total itself can be near zero, since the potential's zero is arbitrary).
 *
 * The double pendulum's links are small (0.1 m and 0.2 m): falling from near the top it
 * reaches 35 rad/s, where dt w = 0.035 and RK4's own truncation error over the second is
 * ~1e-6 (measured: 9.3e-7, 6.8e-8, 4.6e-9, 3.0e-10 for dt = 2, 1, 0.5, 0.25 ms: order 4).
 * So its conservation test starts from swings about the hanging position (q1 = pi +- 1,
 * q2 = +-1, v ~ N(0, 1)), and a separate test checks the fourth-order convergence of the
 * energy error from the fast states, which is what tells integrator error from a bug (an
 * inconsistency between the energy and the dynamics would not shrink 16x per halving).
 */
import { describe, expect, it } from 'vitest';
import { type Tensor, jit } from '../../src/autodiff/index.js';
import { createModel, kineticEnergy, potentialEnergy } from '../../src/dynamics/index.js';
import { Rng, SEED, randomState } from './helpers.js';
import type { MultibodyDynamics } from '../../src/dynamics/index.js';

/** Worst |E(t) - E(0)| / (T0 + |V0|) over `seconds` of passive motion from x0. */
function energyDrift(model: MultibodyDynamics, x0: Float64Array, seconds: number): { drift: number; T0: number; moved: boolean } {
  const m = model.model;
  const energies = jit((x: Tensor) => [kineticEnergy(m, model.configuration(x), model.velocity(x)), potentialEnergy(m, model.configuration(x))], [[model.nx]]);
  let x = Float64Array.from(x0);
  const [T0, V0] = energies.run([x]).map((e) => e[0]);
  const E0 = T0 + V0;
  const scale = T0 + Math.abs(V0);
  const u = new Float64Array(model.nu);
  let next = new Float64Array(model.nx);
  let drift = 0;
  const steps = Math.round(seconds / model.dt);
  for (let k = 0; k < steps; k++) {
    model.step(x, u, next);
    [x, next] = [next, x];
    const [T, V] = energies.run([x]).map((e) => e[0]);
    drift = Math.max(drift, Math.abs(T + V - E0) / scale);
  }
  return { drift, T0, moved: x.some((v, i) => v !== x0[i]) };
}

/** A double-pendulum state swinging about the hanging position. */
function swing(rng: Rng): Float64Array {
  const [a, b] = rng.uniform([2], -1, 1).toArray();
  return Float64Array.from([Math.PI + a, b, ...rng.normal([2]).toArray()]);
}

describe(`energy conservation under RK4, dt = 1e-3, one second (seed ${SEED})`, () => {
  it('doublePendulum: passive swings, |E(t) - E(0)| <= 1e-6 (T0 + |V0|)', () => {
    const model = createModel('doublePendulum', { integrator: 'rk4', dt: 1e-3 });
    const rng = new Rng(SEED);
    for (let trial = 0; trial < 5; trial++) {
      const { drift, T0, moved } = energyDrift(model, swing(rng), 1);
      expect(T0).toBeGreaterThan(0);
      expect(moved).toBe(true);
      expect(drift).toBeLessThanOrEqual(1e-6);
    }
  });

  it('ur5: passive from random states, |E(t) - E(0)| <= 1e-6 (T0 + |V0|)', () => {
    const model = createModel('ur5', { integrator: 'rk4', dt: 1e-3 });
    const rng = new Rng(SEED);
    for (let trial = 0; trial < 3; trial++) {
      const { drift, T0, moved } = energyDrift(model, randomState(model, rng), 1);
      expect(T0).toBeGreaterThan(0);
      expect(moved).toBe(true);
      expect(drift).toBeLessThanOrEqual(1e-6);
    }
  });

  it('doublePendulum from random (fast) states: the energy error is RK4\'s, fourth order in dt', () => {
    const rng = new Rng(SEED);
    for (let trial = 0; trial < 3; trial++) {
      const x0 = randomState(createModel('doublePendulum'), rng);
      const coarse = energyDrift(createModel('doublePendulum', { integrator: 'rk4', dt: 1e-3 }), x0, 1).drift;
      const fine = energyDrift(createModel('doublePendulum', { integrator: 'rk4', dt: 5e-4 }), x0, 1).drift;
      // Order 4 gives a ratio of 16; the error maximum over a trajectory is noisier than the
      // error at a fixed time, so accept 10 (order 3.3). A wrong energy would give ratio ~1.
      expect(coarse / fine).toBeGreaterThan(10);
      expect(coarse).toBeLessThan(1e-4);
    }
  });
});
