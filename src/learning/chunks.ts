/**
 * Chunk datasets for diffusion policies, from solved trajectories (DESIGN section 2):
 * (tau_0, x_hist, o_hist, d tau_0 / d x_hist) for every chunk start t = 0 .. T - T_h.
 *
 * Alignment follows the rollout (diffusion/rollout.ts): the chunk planned at time t holds the
 * actions of times t - T_o + 1 .. t - T_o + T_h. For torque actions with T_o = 1 that is
 * u_t .. u_{t + T_h - 1}, conditioned on x_t, and its derivative target is eq. (7) chained
 * from the gains (chaining.ts), zero for the older history states.
 *
 * An epoch, as the paper counts it, is |D| (T - T_h) / T_h chunks: the trajectories cut into
 * non-overlapping chunks, although training samples all the overlapping ones.
 */
import { ConcreteTensor } from '../autodiff/index.js';
import type { ChunkDataset } from '../diffusion/index.js';
import { chunkJacobianWithHistory } from './chaining.js';
import type { SolvedTrajectory } from './collect.js';

export interface ChunkOptions {
  /** T_h */
  horizon: number;
  /** T_o (torque actions only use the last state; older history entries repeat the first state at t = 0). */
  historyLength: number;
}

export function chunksPerEpoch(trajectories: number, T: number, horizon: number): number {
  return (trajectories * (T - horizon)) / horizon;
}

/** Every chunk of every trajectory, torque actions (a = u), the state as observation. */
export function torqueChunkDataset(trajectories: readonly SolvedTrajectory[], { horizon, historyLength }: ChunkOptions): ChunkDataset {
  const first = trajectories[0];
  if (first === undefined) throw new RangeError('torqueChunkDataset: no trajectories');
  const T = first.us.length;
  const nx = first.xs[0].length;
  const nu = first.us[0].length;
  const ndx = Math.round(Math.sqrt(first.fx[0].length));
  if (ndx !== nx) throw new RangeError('torqueChunkDataset: states on a manifold (ndx != nx) need a tangent-space history');
  if (horizon > T) throw new RangeError(`torqueChunkDataset: T_h = ${horizon} is longer than the trajectories (T = ${T})`);
  const perTrajectory = T - horizon + 1;
  const N = trajectories.length * perTrajectory;
  const tau0 = new Float64Array(N * horizon * nu);
  const xHist = new Float64Array(N * historyLength * nx);
  const jac = new Float64Array(N * horizon * nu * historyLength * nx);
  let n = 0;
  for (const tr of trajectories) {
    if (tr.us.length !== T) throw new RangeError('torqueChunkDataset: trajectories of different lengths');
    for (let t = 0; t < perTrajectory; t++, n++) {
      for (let h = 0; h < horizon; h++) tau0.set(tr.us[t + h], (n * horizon + h) * nu);
      for (let o = 0; o < historyLength; o++) xHist.set(tr.xs[Math.max(0, t - historyLength + 1 + o)], (n * historyLength + o) * nx);
      jac.set(chunkJacobianWithHistory(tr, t, horizon, 'torque', historyLength), n * horizon * nu * historyLength * nx);
    }
  }
  const xh = new ConcreteTensor(xHist, [N, historyLength, nx]);
  return {
    tau0: new ConcreteTensor(tau0, [N, horizon, nu]),
    xHist: xh,
    oHist: xh,
    dTau0dXHist: new ConcreteTensor(jac, [N, horizon, nu, historyLength, nx]),
  };
}
