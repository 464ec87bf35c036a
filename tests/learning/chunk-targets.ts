/**
 * The check shared by the state-action tests (tests/learning/state-actions.test.ts, the
 * quadrotor's tests/tasks/quadrotor-actions.test.ts): every entry of the chunks of one solved
 * trajectory is the encoded state, and every derivative target d tau0 / d x_hist equals a
 * central difference of the closed loop the solver's gains define.
 */
import { expect } from 'vitest';

export interface ChunkTargetCase {
  /** The dataset's tau0 [N, horizon, na] and targets [N, horizon, na, historyLength, nx], flat. */
  tau0: ArrayLike<number>;
  targets: ArrayLike<number>;
  /** Which chunks to check (chunk n starts at t = n: one trajectory). */
  chunks: readonly number[];
  horizon: number;
  historyLength: number;
  na: number;
  /** Length of the stored state (the perturbed coordinates). */
  nx: number;
  xs: readonly ArrayLike<number>[];
  /** Where the dataset holds the end (ChunkOptions.holdEnd): entries past this knot are x_T, T = xs.length - 1. */
  holdEnd?: boolean;
  encode(x: ArrayLike<number>): ArrayLike<number>;
  /** enc of the state x_s the closed loop reaches from x_t + e, s >= t. */
  closedLoop(t: number, e: Float64Array, s: number): ArrayLike<number>;
}

export function expectChunkTargetsMatchClosedLoop(c: ChunkTargetCase): void {
  const { horizon, historyLength, na, nx } = c;
  const at = (n: number, entry: number, i: number, slot: number, j: number) => ((((n * horizon + entry) * na + i) * historyLength + slot) * nx + j);
  const step = 1e-6;
  for (const n of c.chunks) {
    const t = n;
    for (let entry = 0; entry < horizon; entry++) {
      const s = Math.min(c.holdEnd ? c.xs.length - 1 : Infinity, Math.max(0, t - historyLength + 1 + entry));
      const code = c.encode(c.xs[s]!);
      for (let i = 0; i < na; i++) expect(c.tau0[(n * horizon + entry) * na + i]).toBeCloseTo(code[i]!, 12);
      for (let j = 0; j < nx; j++) {
        const e = new Float64Array(nx);
        // A history entry moves with its own slot; a planned one with x_t (the last slot) through the closed loop.
        const slot = entry < historyLength ? entry : historyLength - 1;
        const from = entry < historyLength ? s : t;
        e[j] = step;
        const plus = c.closedLoop(from, e, s);
        e[j] = -step;
        const minus = c.closedLoop(from, e, s);
        for (let i = 0; i < na; i++) {
          const fd = (plus[i]! - minus[i]!) / (2 * step);
          const target = c.targets[at(n, entry, i, slot, j)]!;
          // Central differences: O(step^2) truncation, O(eps / step) rounding.
          expect(Math.abs(target - fd), `chunk ${n}, entry ${entry}, code ${i}, state ${j}`).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
        }
      }
    }
  }
}
