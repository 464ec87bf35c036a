/**
 * The quadrotor's SE(3) state actions (tasks/free-flyer-actions.ts) and their chunks on the
 * manifold (learning/chunks.ts, stored coordinates nx 13 against tangent directions ndx 12):
 *
 *   - the encoding (q (-) q_ref, v) and its Jacobian in the stored coordinates match central
 *     differences (forward mode against float64 finite differences);
 *   - decoding the solver's own trajectory, inverse(x_t, enc(x_{t+1})), gives back the solver's
 *     thrusts (the "Done when");
 *   - thrusts inside the bounds are recovered exactly from the state they lead to; beyond the
 *     bounds the decoded thrusts are the box-constrained least squares, inside the bounds, and
 *     the decode is counted as saturated;
 *   - the chunk targets J_enc^tan Phi D match central differences of the solver's closed loop
 *     u = u_bar + K (x (-) x_bar), perturbing the stored coordinates of x_t (the quaternion
 *     renormalized, as the physical state must be).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, type Tensor, jacfwd, reshape, tensor } from '../../src/autodiff/index.js';
import { stateChunkDataset } from '../../src/learning/chunks.js';
import { solveOcp } from '../../src/ocp/index.js';
import { collectTrajectories, taskSolver } from '../../src/learning/collect.js';
import type { FreeFlyerStateActions } from '../../src/tasks/free-flyer-actions.js';
import { taskByName } from '../../src/tasks/index.js';
import { expectChunkTargetsMatchClosedLoop } from '../learning/chunk-targets.js';

const SEED = 27_182_818;
const task = taskByName('quadrotor-1-column');
const action = task.action as FreeFlyerStateActions;
const { dynamics } = task;
const { nx, nu } = dynamics;
const encode = (x: ArrayLike<number>) => action.encode(tensor(Array.from(x), [1, nx])).toArray();

/** A state with a unit quaternion from four free numbers (not all near zero). */
const unitState = (p: number[], quat: number[], v: number[]) => {
  const n = Math.hypot(...quat);
  return [...p, ...quat.map((c) => c / n), ...v];
};
const num = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true });
const vec = (n: number, lo: number, hi: number) => fc.array(num(lo, hi), { minLength: n, maxLength: n });
// Attitudes within 160 degrees of q_ref: the SE(3) log is discontinuous at a half turn (|w| = 0), where differences are meaningless.
const quaternion = vec(4, -1, 1).filter((q) => Math.hypot(...q) > 0.3 && Math.abs(q[3]!) > 0.18 * Math.hypot(...q));
const state = fc.tuple(vec(3, -2, 2), quaternion, vec(6, -3, 3)).map(([p, q, v]) => unitState(p, q, v));

/** Renormalize the quaternion of stored coordinates (the physical state a perturbation stands for). */
function onManifold(x: Float64Array): Float64Array {
  const n = Math.hypot(x[3]!, x[4]!, x[5]!, x[6]!);
  for (let i = 3; i < 7; i++) x[i]! /= n;
  return x;
}

describe(`quadrotor state actions (seed ${SEED})`, () => {
  it('the encoding is (q (-) q_ref, v) and its Jacobian matches central differences', () => {
    expect(encode([0.3, -0.2, 1.1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6])).toEqual([0.3, -0.2, 1.1, 0, 0, 0, 1, 2, 3, 4, 5, 6]);
    const jacobian = jacfwd((x: Tensor) => reshape(action.encode(reshape(x, [1, nx])), [action.dim]));
    fc.assert(
      fc.property(state, (x) => {
        const J = jacobian(tensor(x)).concrete().data;
        const step = 1e-6;
        for (let j = 0; j < nx; j++) {
          const plus = encode(x.map((v, k) => (k === j ? v + step : v)));
          const minus = encode(x.map((v, k) => (k === j ? v - step : v)));
          for (let i = 0; i < action.dim; i++) {
            const fd = (plus[i]! - minus[i]!) / (2 * step);
            expect(Math.abs(J[i * nx + j]! - fd), `d enc_${i} / d x_${j}`).toBeLessThan(1e-7 * (1 + Math.abs(fd)));
          }
        }
      }),
      { seed: SEED, numRuns: 25 },
    );
  });

  it('decoding the solver\'s own trajectory gives back its thrusts', () => {
    const problem = task.problem(task.sampleInstance(new Rng(SEED)));
    const s = solveOcp(problem, task.solver, task.coldGuess(problem), { ...task.solverOptions, history: false });
    expect(s.converged, s.reason).toBe(true);
    const T = s.us.length;
    const x = tensor(s.xs.slice(0, T).flatMap((v) => Array.from(v)), [T, nx]);
    const next = action.encode(tensor(s.xs.slice(1).flatMap((v) => Array.from(v)), [T, nx]));
    action.resetSaturation();
    const decoded = action.inverse(x, next).concrete().data;
    let worst = 0;
    for (let t = 0; t < T; t++) for (let r = 0; r < nu; r++) worst = Math.max(worst, Math.abs(decoded[t * nu + r]! - s.us[t]![r]!));
    // RNEA of a finite difference of velocities: rounding of order eps |v| / dt, times the inertia.
    expect(worst).toBeLessThan(1e-9);
    expect(action.saturation().decoded).toBe(T);
  });

  it('thrusts within the bounds are recovered exactly; beyond them, the box least squares, counted', () => {
    const { lower, upper } = dynamics.controlBounds!;
    fc.assert(
      fc.property(state, vec(nu, -2, 7), (x0, thrust) => {
        const x = Float64Array.from(x0);
        const u = Float64Array.from(thrust);
        const next = new Float64Array(nx);
        dynamics.step(x, u, next);
        action.resetSaturation();
        const decoded = action.inverse(tensor(Array.from(x), [1, nx]), action.encode(tensor(Array.from(next), [1, nx]))).concrete().data;
        const inside = thrust.every((v, r) => v >= lower[r]! && v <= upper[r]!);
        // Within rounding of a bound both counts are right (the box QP may call the component free or clamped).
        const near = 1e-6;
        const clearlyInside = thrust.every((v, r) => v > lower[r]! + near && v < upper[r]! - near);
        const clearlyOutside = thrust.some((v, r) => v < lower[r]! - near || v > upper[r]! + near);
        for (let r = 0; r < nu; r++) {
          expect(decoded[r]!).toBeGreaterThanOrEqual(lower[r]!);
          expect(decoded[r]!).toBeLessThanOrEqual(upper[r]!);
          if (inside) expect(Math.abs(decoded[r]! - u[r]!), `u_${r}`).toBeLessThan(1e-7 * (1 + Math.abs(u[r]!)));
        }
        if (clearlyInside || clearlyOutside) expect(action.saturation()).toEqual({ decoded: 1, saturated: clearlyOutside ? 1 : 0 });
        if (!inside) {
          // Convex in u: no projected coordinate step from the decoded thrusts, and not the clamped thrusts,
          // brings the next velocity closer to the planned one (|M^-1 (B u - w)| = |v_{t+1}(u) - v_planned| / dt).
          const error = (w: ArrayLike<number>) => {
            const y = new Float64Array(nx);
            dynamics.step(x, Float64Array.from(w), y);
            let e = 0;
            for (let j = 7; j < nx; j++) e += (y[j]! - next[j]!) ** 2;
            return e;
          };
          const best = error(decoded);
          const clamp = (w: number[]) => w.map((v, r) => Math.min(Math.max(v, lower[r]!), upper[r]!));
          expect(best).toBeLessThanOrEqual(error(clamp(thrust)) + 1e-12);
          for (let r = 0; r < nu; r++) {
            for (const d of [-1e-3, 1e-3]) {
              const trial = clamp(Array.from(decoded, (v, k) => (k === r ? v + d : v)));
              expect(best).toBeLessThanOrEqual(error(trial) + 1e-12);
            }
          }
        }
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('the chunk targets match central differences of the closed loop, in the stored coordinates', async () => {
    const rng = new Rng(SEED + 1);
    const { trajectories } = await collectTrajectories(1, taskSolver(task, { history: false }), { sampleInstance: () => task.sampleInstance(rng) });
    const tr = trajectories[0]!;
    const horizon = 6;
    const historyLength = 2;
    const data = stateChunkDataset([tr], { horizon, historyLength }, action.encode, dynamics.manifold);
    const na = action.dim;
    const ndx = dynamics.ndx;
    const [N] = data.tau0.shape;
    expect(data.tau0.shape).toEqual([tr.us.length + historyLength - horizon + 1, horizon, na]);
    expect(data.dTau0dXHist!.shape).toEqual([N, horizon, na, historyLength, nx]);
    const tau0 = data.tau0.concrete().data;
    const targets = data.dTau0dXHist!.concrete().data;
    const m = dynamics.manifold;
    // enc of the state x_s the closed loop u = u_bar + K (x (-) x_bar) reaches from x_t + e (renormalized), s >= t.
    const closedLoop = (t: number, e: Float64Array, s: number) => {
      let x = onManifold(Float64Array.from(tr.xs[t]!, (v, i) => v + e[i]!));
      for (let k = t; k < s; k++) {
        const dx = m.difference(tensor(Array.from(tr.xs[k]!)), tensor(Array.from(x))).toArray();
        const u = Float64Array.from(tr.us[k]!);
        for (let r = 0; r < nu; r++) for (let j = 0; j < ndx; j++) u[r]! += tr.K[k]![r * ndx + j]! * dx[j]!;
        const next = new Float64Array(nx);
        dynamics.step(x, u, next);
        x = next;
      }
      return encode(x);
    };
    expectChunkTargetsMatchClosedLoop({ tau0, targets, chunks: [0, 1, 40, N - 1], horizon, historyLength, na, nx, xs: tr.xs, encode, closedLoop });
    // Held ends (ChunkOptions.holdEnd): chunks past the trajectory's end, their late entries x_T.
    const held = stateChunkDataset([tr], { horizon, historyLength, holdEnd: true }, action.encode, dynamics.manifold);
    const T = tr.us.length;
    expect(held.tau0.shape).toEqual([T, horizon, na]);
    expectChunkTargetsMatchClosedLoop({
      tau0: held.tau0.concrete().data, targets: held.dTau0dXHist!.concrete().data, chunks: [N, T - 1],
      horizon, historyLength, na, nx, xs: tr.xs, encode, closedLoop, holdEnd: true,
    });
  }, 60_000);
});
