/**
 * State actions (tasks/state-actions.ts, learning/chunks.ts): the inverse step is exact where
 * the torque is within its limits and saturates where it is not; the encoded chunk holds
 * enc of the right states; and its derivative targets match central differences of the
 * solver's closed loop seen through the encoding, on both the history and the planned entries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, tensor } from '../../src/autodiff/index.js';
import { stateChunkDataset } from '../../src/learning/chunks.js';
import { collectTrajectories, taskSolver } from '../../src/learning/collect.js';
import { type StateActions, taskByName } from '../../src/tasks/index.js';

const SEED = 3_141_592;
const task = taskByName('pendulum-state');
const action = task.action as StateActions;
const { dynamics } = task;
const { nx, nu } = dynamics;
const limit = dynamics.controlBounds!.upper[0];

describe(`state actions of the pendulum (seed ${SEED})`, () => {
  it('inverse(x, enc(x_next)) is the control that reaches the planned velocity, saturated at the torque limit', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -7, max: 7, noNaN: true }), fc.double({ min: -8, max: 8, noNaN: true }), fc.double({ min: -40, max: 40, noNaN: true }),
        (q, v, u) => {
          const x = Float64Array.of(q, v);
          const next = new Float64Array(nx);
          dynamics.step(x, Float64Array.of(u), next);
          const decoded = action.inverse(tensor(Array.from(x), [1, nx]), action.encode(tensor(Array.from(next), [1, nx]))).toArray();
          expect(decoded.length).toBe(nu);
          const expected = Math.min(Math.max(u, -limit), limit);
          expect(Math.abs(decoded[0] - expected)).toBeLessThan(1e-9 * (1 + Math.abs(u)));
        },
      ),
      { seed: SEED, numRuns: 200 },
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
    const encode = (x: ArrayLike<number>) => action.encode(tensor(Array.from(x), [1, nx])).toArray();
    // enc of the state x_s the closed loop u = u_bar + K (x - x_bar) reaches from x_t + e, s >= t.
    const closedLoop = (t: number, e: Float64Array, s: number) => {
      let x = Float64Array.from(tr.xs[t], (v, i) => v + e[i]);
      for (let k = t; k < s; k++) {
        let u = tr.us[k][0];
        for (let j = 0; j < nx; j++) u += tr.K[k][j] * (x[j] - tr.xs[k][j]);
        const next = new Float64Array(nx);
        dynamics.step(x, Float64Array.of(u), next);
        x = next;
      }
      return encode(x);
    };
    const at = (n: number, entry: number, i: number, slot: number, j: number) => ((((n * horizon + entry) * na + i) * historyLength + slot) * nx + j);
    for (const n of [0, 1, 57, N - 1]) {
      const t = n; // one trajectory: chunk n starts at t = n
      for (let entry = 0; entry < horizon; entry++) {
        const s = Math.max(0, t - historyLength + 1 + entry);
        const code = encode(tr.xs[s]);
        for (let i = 0; i < na; i++) expect(tau0[(n * horizon + entry) * na + i]).toBeCloseTo(code[i], 12);
        for (let j = 0; j < nx; j++) {
          const step = 1e-6;
          const e = new Float64Array(nx);
          // A history entry moves with its own slot; a planned one with x_t (the last slot) through the closed loop.
          const slot = entry < historyLength ? entry : historyLength - 1;
          const from = entry < historyLength ? s : t;
          e[j] = step;
          const plus = closedLoop(from, e, s);
          e[j] = -step;
          const minus = closedLoop(from, e, s);
          for (let i = 0; i < na; i++) {
            const fd = (plus[i] - minus[i]) / (2 * step);
            const target = targets[at(n, entry, i, slot, j)];
            // Central differences: O(step^2) truncation, O(eps / step) rounding.
            expect(Math.abs(target - fd), `chunk ${n}, entry ${entry}, code ${i}, state ${j}`).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
          }
        }
      }
    }
  });
});
