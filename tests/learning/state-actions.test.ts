/**
 * State actions (tasks/state-actions.ts, learning/chunks.ts), on every registered task whose
 * policy plans states (the pendulum's ablation, the UR5 reaches): the encoding's Jacobian
 * (what the derivative targets chain on, Alg. 1 line 13) matches central differences; the
 * inverse step decodes exactly, giving back the control that produced the planned state where
 * it is within the torque limits and that control saturated where it is not; the encoded
 * chunk holds enc of the right states; and its derivative targets match central differences
 * of the solver's closed loop seen through the encoding, on the history and planned entries,
 * also where a chunk runs past the trajectory's end and holds x_T (ChunkOptions.holdEnd).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, jacfwd, reshape, tensor, type Tensor } from '../../src/autodiff/index.js';
import { stateChunkDataset, torqueChunkDataset } from '../../src/learning/chunks.js';
import { collectTrajectories, taskSolver } from '../../src/learning/collect.js';
import { type StateActions, TASK_NAMES, taskByName } from '../../src/tasks/index.js';
import { expectChunkTargetsMatchClosedLoop } from './chunk-targets.js';

const SEED = 3_141_592;
// State actions of revolute chains (states in a vector space, nx = ndx); the quadrotor's SE(3) actions have their own checks in tests/tasks/quadrotor-actions.test.ts.
const STATE_TASKS = TASK_NAMES.filter((name) => taskByName(name).action.kind === 'state' && taskByName(name).dynamics.ndx === taskByName(name).dynamics.nx);

describe.each(STATE_TASKS)(`state actions of %s (seed ${SEED})`, (name) => {
  const task = taskByName(name);
  const action = task.action as StateActions;
  const { dynamics } = task;
  const { nx, nu } = dynamics;
  const bounds = dynamics.controlBounds!;
  const encode = (x: ArrayLike<number>) => action.encode(tensor(Array.from(x), [1, nx])).toArray();
  const state = fc.array(fc.double({ min: -7, max: 7, noNaN: true }), { minLength: nx, maxLength: nx });

  it('the encoding and its Jacobian match central differences', () => {
    const jacobian = jacfwd((x: Tensor) => reshape(action.encode(reshape(x, [1, nx])), [action.dim]));
    fc.assert(
      fc.property(state, (x) => {
        expect(encode(x).length).toBe(action.dim);
        const J = jacobian(tensor(x)).concrete().data; // [na, nx], row-major
        const step = 1e-6;
        for (let j = 0; j < nx; j++) {
          const plus = encode(x.map((v, k) => (k === j ? v + step : v)));
          const minus = encode(x.map((v, k) => (k === j ? v - step : v)));
          for (let i = 0; i < action.dim; i++) {
            const fd = (plus[i] - minus[i]) / (2 * step);
            expect(Math.abs(J[i * nx + j] - fd), `d enc_${i} / d x_${j}`).toBeLessThan(1e-7 * (1 + Math.abs(fd)));
          }
        }
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('inverse(x, enc(x_next)) is the control that reaches the planned velocity, saturated at the torque limits', () => {
    const control = fc.array(fc.double({ min: -1.6, max: 1.6, noNaN: true }), { minLength: nu, maxLength: nu });
    const velocity = fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: nx, maxLength: nx });
    fc.assert(
      fc.property(state, velocity, control, (xq, xv, fraction) => {
        // Angles from `state`, velocities from `velocity`; controls up to 1.6 times the limit on either side.
        const nq = nx - nu; // a fully actuated revolute chain (what state actions require): nq = nv = nu
        const x = Float64Array.from([...xq.slice(0, nq), ...xv.slice(0, nx - nq)]);
        const u = Float64Array.from(fraction, (f, j) => f * bounds.upper[j]);
        const next = new Float64Array(nx);
        dynamics.step(x, u, next);
        const decoded = action.inverse(tensor(Array.from(x), [1, nx]), action.encode(tensor(Array.from(next), [1, nx]))).concrete().data;
        expect(decoded.length).toBe(nu);
        for (let j = 0; j < nu; j++) {
          const expected = Math.min(Math.max(u[j], bounds.lower[j]), bounds.upper[j]);
          // RNEA of a finite difference of velocities: rounding of order eps |v| / dt, times the inertia.
          expect(Math.abs(decoded[j] - expected), `u_${j}`).toBeLessThan(1e-7 * (1 + Math.abs(u[j])));
        }
      }),
      { seed: SEED, numRuns: name.startsWith('ur5') ? 50 : 200 },
    );
  });

  it('the encoded chunks and their targets match central differences of the closed loop', async () => {
    const rng = new Rng(SEED);
    const { trajectories } = await collectTrajectories(1, taskSolver(task, { history: false }), { sampleInstance: () => task.sampleInstance(rng) });
    const tr = trajectories[0];
    const horizon = 6;
    const historyLength = 2;
    const data = stateChunkDataset([tr], { horizon, historyLength }, action.encode);
    const na = action.dim;
    const [N] = data.tau0.shape;
    expect(data.tau0.shape).toEqual([tr.us.length + historyLength - horizon + 1, horizon, na]);
    const tau0 = data.tau0.concrete().data;
    const targets = data.dTau0dXHist!.concrete().data;
    // enc of the state x_s the closed loop u = u_bar + K (x - x_bar) reaches from x_t + e, s >= t.
    const closedLoop = (t: number, e: Float64Array, s: number) => {
      let x = Float64Array.from(tr.xs[t], (v, i) => v + e[i]);
      for (let k = t; k < s; k++) {
        const u = Float64Array.from(tr.us[k]);
        for (let r = 0; r < nu; r++) for (let j = 0; j < nx; j++) u[r] += tr.K[k][r * nx + j] * (x[j] - tr.xs[k][j]);
        const next = new Float64Array(nx);
        dynamics.step(x, u, next);
        x = next;
      }
      return encode(x);
    };
    expectChunkTargetsMatchClosedLoop({ tau0, targets, chunks: [0, 1, 57, N - 1], horizon, historyLength, na, nx, xs: tr.xs, encode, closedLoop });

    // Held ends: a chunk starts at every t = 0 .. T - 1, its entries past x_T hold x_T.
    const held = stateChunkDataset([tr], { horizon, historyLength, holdEnd: true }, action.encode);
    const T = tr.us.length;
    expect(held.tau0.shape).toEqual([T, horizon, na]);
    expect(Array.from(held.tau0.concrete().data.subarray(0, N * horizon * na))).toEqual(Array.from(tau0));
    expectChunkTargetsMatchClosedLoop({
      tau0: held.tau0.concrete().data, targets: held.dTau0dXHist!.concrete().data, chunks: [N - 1, N, T - 3, T - 1],
      horizon, historyLength, na, nx, xs: tr.xs, encode, closedLoop, holdEnd: true,
    });
    expect(() => torqueChunkDataset([tr], { horizon, historyLength, holdEnd: true })).toThrow(/state actions/);
  });
});
