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
import { ConcreteTensor, type Tensor, jacfwd, reshape, tensor, vmap, zeros } from '../autodiff/index.js';
import type { ChunkDataset } from '../diffusion/index.js';
import { chunkJacobian, chunkJacobianWithHistory } from './chaining.js';
import type { SolvedTrajectory } from './collect.js';
import type { StateManifold } from '../dynamics/index.js';
import type { TaskInstance } from '../tasks/index.js';

export interface ChunkOptions {
  /** T_h */
  horizon: number;
  /** T_o (torque actions only use the last state; older history entries repeat the first state at t = 0). */
  historyLength: number;
  /**
   * State actions only: also cut chunks that run past the trajectory's end, their planned
   * states past x_T holding x_T (the robot stays where the solution left it at rest), so that
   * every time 0 .. T - 1 at which a rollout replans is an observation in the dataset.
   * Without it a chunk must fit the trajectory, and the last T_h - T_o states are never
   * observed: with the UR5's T = 100 and T_h = 32 a rollout's replans at t = 80 and 96 see
   * states no chunk was conditioned on (diffusion policy's samplers pad a demonstration's
   * end the same way). Default false.
   */
  holdEnd?: boolean;
}

export function chunksPerEpoch(trajectories: number, T: number, horizon: number): number {
  return (trajectories * (T - horizon)) / horizon;
}

/** What every chunk dataset checks and fills: sizes, and the arrays of N chunks of `na`-dimensional actions. */
function chunkArrays(
  name: string, trajectories: readonly SolvedTrajectory[], { horizon, historyLength }: ChunkOptions, na: number, perTrajectory: number, manifold?: StateManifold,
) {
  const first = trajectories[0];
  const nx = first.xs[0].length;
  const ndx = Math.round(Math.sqrt(first.fx[0].length));
  if (ndx !== nx && manifold === undefined) throw new RangeError(`${name}: states on a manifold (ndx ${ndx} != nx ${nx}) need the state manifold to map tangent derivatives to the stored states`);
  if (manifold !== undefined && (manifold.nx !== nx || manifold.ndx !== ndx)) throw new RangeError(`${name}: the manifold has nx ${manifold.nx}, ndx ${manifold.ndx}; the trajectories ${nx}, ${ndx}`);
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
  // A held final state is a rest; a repeated final torque is not (it would keep accelerating the system).
  if (options.holdEnd) throw new RangeError('torqueChunkDataset: holdEnd is for state actions (a held final state is a rest, a repeated final torque is not)');
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
 * before the start, and are inpainted at sampling time), so t runs from 0 to T + T_o - T_h;
 * with `holdEnd`, t runs to T - 1 and x_T stands for the states past the end.
 *
 * Derivative targets, [T_h, na, T_o, nx]: a history entry is enc of its own history slot
 * (d/d slot = J_enc); a planned entry s = t + h + 1 depends on x_t through the closed loop,
 * d enc(x_s)/d x_t = J_enc(x_s) Phi_{h+1} (chaining.ts, state kind); a held state past the end
 * is x_T, so its target is that of x_T, J_enc(x_T) Phi_{T - t}.
 *
 * On a state manifold whose stored states have more coordinates than tangent directions (a
 * free flyer's quaternion: nx 13, ndx 12; pass `manifold`), Phi is a tangent-space map and the
 * stored x_t are coordinates, so the planned entries' target is
 * J_enc^tan(x_s) Phi_{h+1} D(x_t): J_enc^tan = d enc(x_s (+) dx)/d dx at 0 (na x ndx), and
 * D = d (x_t (-) y)/d y at y = x_t (ndx x nx), the tangent direction a change of the stored
 * coordinates is (zero along directions that leave the manifold, such as a quaternion's norm).
 * The network's input Jacobian is taken in the same stored coordinates (normalize.ts).
 */
export function stateChunkDataset(trajectories: readonly SolvedTrajectory[], options: ChunkOptions, encode: StateEncoding, manifold?: StateManifold): ChunkDataset {
  const { horizon, historyLength, holdEnd = false } = options;
  const first = firstTrajectory('stateChunkDataset', trajectories);
  const planned = horizon - historyLength;
  if (planned < 1) throw new RangeError(`stateChunkDataset: T_h = ${horizon} must exceed T_o = ${historyLength}`);
  const nx = first.xs[0].length;
  const encoded = (x: Float64Array) => encode(tensor(Array.from(x), [1, nx]));
  const na = encoded(first.xs[0]).shape[1];
  const jacobian = jacfwd((x: Tensor) => reshape(encode(reshape(x, [1, nx])), [na]));
  const T = first.us.length;
  const perTrajectory = holdEnd ? T : T + historyLength - horizon + 1;
  const arrays = chunkArrays('stateChunkDataset', trajectories, options, na, perTrajectory, manifold);
  const { tau0, xHist, jac } = arrays;
  const ndx = Math.round(Math.sqrt(first.fx[0].length));
  const tangent = ndx === nx ? null : tangentMaps(manifold!, encode, na);
  const at = (e: number, i: number, o: number, j: number) => ((e * na + i) * historyLength + o) * nx + j;
  let n = 0;
  for (const tr of trajectories) {
    const codes = tangent === null ? tr.xs.map((x) => encoded(x).concrete().data) : tangent.codes(tr.xs);
    const codeJacobians = tangent === null ? tr.xs.map((x) => jacobian(tensor(Array.from(x))).concrete().data) : tangent.codeJacobians(tr.xs);
    // On a manifold: J_enc^tan(x_s) for the planned entries, D(x_t) for the chunk's last observed state.
    const planJacobians = tangent === null ? codeJacobians : tangent.encoding(tr.xs);
    const stateToTangent = tangent === null ? null : tangent.coordinates(tr.xs);
    for (let t = 0; t < perTrajectory; t++, n++) {
      // The knot of chunk entry e: x_0 before the start, x_T past the end (holdEnd).
      const state = (e: number) => Math.min(T, Math.max(0, t - historyLength + 1 + e));
      for (let e = 0; e < horizon; e++) tau0.set(codes[state(e)], (n * horizon + e) * na);
      for (let o = 0; o < historyLength; o++) xHist.set(tr.xs[state(o)], (n * historyLength + o) * nx);
      // Phi_1 .. Phi_m up to x_T at most; a held entry reuses the last one.
      const inside = Math.min(planned, T - t);
      const phi = chunkJacobian(tr, t, inside, 'state');
      const block = jac.subarray(n * horizon * na * historyLength * nx, (n + 1) * horizon * na * historyLength * nx);
      // The last observed state is x_{state(T_o - 1)}; on a manifold Phi is chained onto D of it.
      const D = stateToTangent?.[state(historyLength - 1)];
      const JP = new Float64Array(na * ndx);
      for (let e = 0; e < horizon; e++) {
        if (e < historyLength) {
          const J = codeJacobians[state(e)];
          for (let i = 0; i < na; i++) for (let j = 0; j < nx; j++) block[at(e, i, e, j)] = J[i * nx + j];
          continue;
        }
        const J = planJacobians[state(e)];
        const h = Math.min(e - historyLength, inside - 1);
        const P = phi.subarray(h * ndx * ndx, (h + 1) * ndx * ndx);
        if (D === undefined) {
          for (let i = 0; i < na; i++) {
            for (let j = 0; j < nx; j++) {
              let s = 0;
              for (let k = 0; k < nx; k++) s += J[i * nx + k] * P[k * nx + j];
              block[at(e, i, historyLength - 1, j)] = s;
            }
          }
          continue;
        }
        for (let i = 0; i < na; i++) {
          for (let j = 0; j < ndx; j++) {
            let s = 0;
            for (let k = 0; k < ndx; k++) s += J[i * ndx + k] * P[k * ndx + j];
            JP[i * ndx + j] = s;
          }
        }
        for (let i = 0; i < na; i++) {
          for (let j = 0; j < nx; j++) {
            let s = 0;
            for (let k = 0; k < ndx; k++) s += JP[i * ndx + k] * D[k * nx + j];
            block[at(e, i, historyLength - 1, j)] = s;
          }
        }
      }
    }
  }
  return asDataset(arrays, options, na);
}

/**
 * What state chunks on a manifold need per state of a trajectory, computed for all its states at
 * once (vmap of jacfwd): enc(x), its Jacobian in the stored coordinates [na x nx], the two maps
 * between the tangent space and the stored coordinates (see stateChunkDataset),
 * J_enc^tan(x) = d enc(x (+) dx)/d dx at dx = 0 [na x ndx] and D(x) = d (x (-) y)/d y at y = x
 * [ndx x nx], all row-major.
 */
function tangentMaps(manifold: StateManifold, encode: StateEncoding, na: number) {
  const { nx, ndx } = manifold;
  const zero = zeros([ndx]);
  // One Jacobian per state of a trajectory, all states at once (vmap of jacfwd).
  const encoding = vmap((x: Tensor) => jacfwd((dx: Tensor) => reshape(encode(reshape(manifold.integrate(x, dx), [1, nx])), [na]))(zero));
  const coordinates = vmap((x: Tensor) => jacfwd((y: Tensor) => manifold.difference(x, y))(x));
  const rows = (J: Tensor, size: number) => {
    const data = J.concrete().data;
    return Array.from({ length: J.shape[0] }, (_, i) => data.slice(i * size, (i + 1) * size));
  };
  const stack = (xs: readonly Float64Array[]) => tensor(xs.flatMap((x) => Array.from(x)), [xs.length, nx]);
  const raw = vmap((x: Tensor) => jacfwd((y: Tensor) => reshape(encode(reshape(y, [1, nx])), [na]))(x));
  return {
    codes: (xs: readonly Float64Array[]) => rows(encode(stack(xs)), na),
    codeJacobians: (xs: readonly Float64Array[]) => rows(raw(stack(xs)), na * nx),
    encoding: (xs: readonly Float64Array[]) => rows(encoding(stack(xs)), na * ndx),
    coordinates: (xs: readonly Float64Array[]) => rows(coordinates(stack(xs)), ndx * nx),
  };
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
