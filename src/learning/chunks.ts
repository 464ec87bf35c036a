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
import { ConcreteTensor, type Tensor, jacfwd, reshape, tensor } from '../autodiff/index.js';
import type { ChunkDataset } from '../diffusion/index.js';
import { chunkJacobian, chunkJacobianWithHistory } from './chaining.js';
import type { SolvedTrajectory } from './collect.js';
import type { TaskInstance } from '../tasks/index.js';

export interface ChunkOptions {
  /** T_h */
  horizon: number;
  /** T_o (torque actions only use the last state; older history entries repeat the first state at t = 0). */
  historyLength: number;
}

export function chunksPerEpoch(trajectories: number, T: number, horizon: number): number {
  return (trajectories * (T - horizon)) / horizon;
}

/** What every chunk dataset checks and fills: sizes, and the arrays of N chunks of `na`-dimensional actions. */
function chunkArrays(name: string, trajectories: readonly SolvedTrajectory[], { horizon, historyLength }: ChunkOptions, na: number, perTrajectory: number) {
  const first = trajectories[0];
  const nx = first.xs[0].length;
  const ndx = Math.round(Math.sqrt(first.fx[0].length));
  if (ndx !== nx) throw new RangeError(`${name}: states on a manifold (ndx != nx) need a tangent-space history`);
  if (perTrajectory < 1) throw new RangeError(`${name}: T_h = ${horizon} does not fit trajectories of T = ${first.us.length}`);
  if (trajectories.some((tr) => tr.us.length !== first.us.length)) throw new RangeError(`${name}: trajectories of different lengths`);
  const N = trajectories.length * perTrajectory;
  return {
    nx, N,
    tau0: new Float64Array(N * horizon * na),
    xHist: new Float64Array(N * historyLength * nx),
    jac: new Float64Array(N * horizon * na * historyLength * nx),
  };
}

function firstTrajectory(name: string, trajectories: readonly SolvedTrajectory[]): SolvedTrajectory {
  const first = trajectories[0];
  if (first === undefined) throw new RangeError(`${name}: no trajectories`);
  return first;
}

/** The dataset of filled arrays, the state as observation. */
function asDataset(arrays: ReturnType<typeof chunkArrays>, { horizon, historyLength }: ChunkOptions, na: number): ChunkDataset {
  const { N, nx } = arrays;
  const xh = new ConcreteTensor(arrays.xHist, [N, historyLength, nx]);
  return {
    tau0: new ConcreteTensor(arrays.tau0, [N, horizon, na]),
    xHist: xh,
    oHist: xh,
    dTau0dXHist: new ConcreteTensor(arrays.jac, [N, horizon, na, historyLength, nx]),
  };
}

/** Every chunk of every trajectory, torque actions (a = u), the state as observation. */
export function torqueChunkDataset(trajectories: readonly SolvedTrajectory[], options: ChunkOptions): ChunkDataset {
  const { horizon, historyLength } = options;
  const first = firstTrajectory('torqueChunkDataset', trajectories);
  const T = first.us.length;
  const nu = first.us[0].length;
  const perTrajectory = T - horizon + 1;
  const arrays = chunkArrays('torqueChunkDataset', trajectories, options, nu, perTrajectory);
  const { nx, tau0, xHist, jac } = arrays;
  let n = 0;
  for (const tr of trajectories) {
    for (let t = 0; t < perTrajectory; t++, n++) {
      for (let h = 0; h < horizon; h++) tau0.set(tr.us[t + h], (n * horizon + h) * nu);
      for (let o = 0; o < historyLength; o++) xHist.set(tr.xs[Math.max(0, t - historyLength + 1 + o)], (n * historyLength + o) * nx);
      jac.set(chunkJacobianWithHistory(tr, t, horizon, 'torque', historyLength), n * horizon * nu * historyLength * nx);
    }
  }
  return asDataset(arrays, options, nu);
}

/** What state chunks need of the action representation: a_t = enc(x) ([B, nx] -> [B, na], engine ops). */
export type StateEncoding = (x: Tensor) => Tensor;

/**
 * Every chunk of every trajectory with state actions (a = enc(x)), the state as observation.
 * Alignment follows the rollout: the chunk planned at time t holds enc(x_s) for
 * s = t - T_o + 1 .. t - T_o + T_h (the first T_o are the observed history, x_0 repeated
 * before the start, and are inpainted at sampling time), so t runs from 0 to T + T_o - T_h.
 *
 * Derivative targets, [T_h, na, T_o, nx]: a history entry is enc of its own history slot
 * (d/d slot = J_enc); a planned entry s = t + h + 1 depends on x_t through the closed loop,
 * d enc(x_s)/d x_t = J_enc(x_s) Phi_{h+1} (chaining.ts, state kind).
 */
export function stateChunkDataset(trajectories: readonly SolvedTrajectory[], options: ChunkOptions, encode: StateEncoding): ChunkDataset {
  const { horizon, historyLength } = options;
  const first = firstTrajectory('stateChunkDataset', trajectories);
  const planned = horizon - historyLength;
  if (planned < 1) throw new RangeError(`stateChunkDataset: T_h = ${horizon} must exceed T_o = ${historyLength}`);
  const nx = first.xs[0].length;
  const encoded = (x: Float64Array) => encode(tensor(Array.from(x), [1, nx]));
  const na = encoded(first.xs[0]).shape[1];
  const jacobian = jacfwd((x: Tensor) => reshape(encode(reshape(x, [1, nx])), [na]));
  const perTrajectory = first.us.length + historyLength - horizon + 1;
  const arrays = chunkArrays('stateChunkDataset', trajectories, options, na, perTrajectory);
  const { tau0, xHist, jac } = arrays;
  const at = (e: number, i: number, o: number, j: number) => ((e * na + i) * historyLength + o) * nx + j;
  let n = 0;
  for (const tr of trajectories) {
    const codes = tr.xs.map((x) => encoded(x).concrete().data);
    const codeJacobians = tr.xs.map((x) => jacobian(tensor(Array.from(x))).concrete().data);
    for (let t = 0; t < perTrajectory; t++, n++) {
      const state = (e: number) => Math.max(0, t - historyLength + 1 + e);
      for (let e = 0; e < horizon; e++) tau0.set(codes[state(e)], (n * horizon + e) * na);
      for (let o = 0; o < historyLength; o++) xHist.set(tr.xs[state(o)], (n * historyLength + o) * nx);
      const phi = chunkJacobian(tr, t, planned, 'state');
      const block = jac.subarray(n * horizon * na * historyLength * nx, (n + 1) * horizon * na * historyLength * nx);
      for (let e = 0; e < horizon; e++) {
        const J = codeJacobians[state(e)];
        if (e < historyLength) {
          for (let i = 0; i < na; i++) for (let j = 0; j < nx; j++) block[at(e, i, e, j)] = J[i * nx + j];
          continue;
        }
        const P = phi.subarray((e - historyLength) * nx * nx, (e - historyLength + 1) * nx * nx);
        for (let i = 0; i < na; i++) {
          for (let j = 0; j < nx; j++) {
            let s = 0;
            for (let k = 0; k < nx; k++) s += J[i * nx + k] * P[k * nx + j];
            block[at(e, i, historyLength - 1, j)] = s;
          }
        }
      }
    }
  }
  return asDataset(arrays, options, na);
}

/**
 * The dataset with the task parameters each chunk's trajectory was solved for (the `task`
 * part of the policy's global condition, diffusion/normalize.ts rawCondition): the main
 * paper's xi as a policy input, where instances differ in more than their start state (the
 * UR5's random target, sec. 4.3). The chunk builders above emit the chunks trajectory by
 * trajectory, the same number for each, so chunk n belongs to trajectory n / (N / |D|).
 * The condition does not depend on the state, so the derivative targets are unchanged (the
 * condition Jacobian is zero on the task rows).
 */
export function withTaskCondition(
  data: ChunkDataset, trajectories: readonly { instance?: TaskInstance }[], condition: (instance: TaskInstance) => number[],
): ChunkDataset {
  const N = data.tau0.shape[0];
  const perTrajectory = N / trajectories.length;
  if (!Number.isInteger(perTrajectory)) throw new RangeError(`withTaskCondition: ${N} chunks do not split evenly over ${trajectories.length} trajectories`);
  const rows = trajectories.map((tr, i) => {
    if (tr.instance === undefined) throw new RangeError(`withTaskCondition: trajectory ${i} carries no instance to condition on`);
    return condition(tr.instance);
  });
  const nTask = rows[0]?.length ?? 0;
  const bad = rows.findIndex((r) => r.length !== nTask || r.some((v) => !Number.isFinite(v)));
  if (nTask === 0 || bad >= 0) throw new RangeError(`withTaskCondition: the condition of trajectory ${Math.max(bad, 0)} is not ${nTask || 'a non-empty list of'} finite numbers`);
  const task = new Float64Array(N * nTask);
  rows.forEach((r, i) => {
    for (let c = 0; c < perTrajectory; c++) task.set(r, (i * perTrajectory + c) * nTask);
  });
  return { ...data, task: new ConcreteTensor(task, [N, nTask]) };
}
