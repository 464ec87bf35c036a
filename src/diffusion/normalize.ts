/**
 * Normalization of the data to [-1, 1] (Chi et al.'s LinearNormalizer in "range" mode), and
 * the chain rule that carries the derivative targets into normalized coordinates.
 *
 * Every quantity q is mapped feature by feature to q_n = (q - center) / scale, with
 * center = (max + min) / 2 and scale = (max - min) / 2 over the training set, so the data
 * fill [-1, 1] (the box the sampler clips tau_0 predictions to). A feature that never varies
 * gets scale 1 (it maps to 0 and carries no information). Three ranges are kept:
 *
 *   action   per action dimension (shared over the T_h entries of a chunk)
 *   cond     per entry of the global condition [task parameters, flattened o_hist]
 *   state    per state dimension (shared over the T_o entries of x_hist): the coordinates in
 *            which the Sobolev term differentiates
 *
 * Chain rule. The target is the raw Jacobian J = d tau_0 / d x_hist (eq. 7), entries
 * J[t, a, s, i] = d tau_0[t, a] / d x_hist[s, i]. In normalized coordinates
 *
 *   d tau_n[t, a] / d x_n[s, i] = J[t, a, s, i] scale_state[i] / scale_action[a]
 *
 * and the network sees x_hist only through its condition, so the Jacobian of the network with
 * respect to x_n is (d D / d cond_n) M with M = d cond_n / d x_n, the "condition Jacobian":
 *
 *   M[c, (s, i)] = (d o_hist[c'] / d x_hist[s, i]) scale_state[i] / scale_cond[c]   (c = c' + nTask)
 *
 * zero on the task rows. With the default observation o = x it is a scaled selection matrix.
 * The normalizer is stored with the model in every checkpoint (checkpoint.ts).
 */
import { ShapeError, type Tensor, add, concat, jvp, mul, reshape, sub, tensor, div, zeros } from '../autodiff/index.js';

/** q_n = (q - center) / scale along the last axis. */
export type AffineRange = { readonly center: readonly number[]; readonly scale: readonly number[] };

export interface Normalizer {
  readonly action: AffineRange;
  readonly cond: AffineRange;
  readonly state: AffineRange;
}

/** Observations from states, per chunk: x_hist [B, T_o, nx] -> o_hist [B, T_o, no]. Identity by default. */
export type Observe = (xHist: Tensor) => Tensor;

/** Scales below this are treated as constant features. */
const MIN_SCALE = 1e-8;

/** The [-1, 1] range of each feature (last axis) over all leading axes of `data`. */
export function fitRange(data: Tensor): AffineRange {
  const d = data.shape[data.ndim - 1];
  const values = data.concrete().data;
  if (d === undefined || values.length === 0) throw new ShapeError('fitRange', [data.shape], 'needs at least one sample with a feature axis');
  const lo = new Array<number>(d).fill(Infinity);
  const hi = new Array<number>(d).fill(-Infinity);
  for (let i = 0; i < values.length; i++) {
    const f = i % d;
    const v = values[i];
    if (!Number.isFinite(v)) throw new RangeError(`fitRange: value ${i} is ${v}`);
    if (v < lo[f]) lo[f] = v;
    if (v > hi[f]) hi[f] = v;
  }
  const center = lo.map((l, f) => (l + hi[f]) / 2);
  const scale = lo.map((l, f) => ((hi[f] - l) / 2 > MIN_SCALE ? (hi[f] - l) / 2 : 1));
  return { center, scale };
}

function rangeTensors(range: AffineRange, x: Tensor, what: string): [Tensor, Tensor] {
  const d = x.shape[x.ndim - 1];
  if (d !== range.center.length) throw new ShapeError(what, [x.shape, [range.center.length]], 'the last axis does not match the normalizer');
  return [tensor([...range.center], [d], x.dtype), tensor([...range.scale], [d], x.dtype)];
}

/** (x - center) / scale along the last axis (differentiable). */
export function normalize(range: AffineRange, x: Tensor): Tensor {
  const [c, s] = rangeTensors(range, x, 'normalize');
  return div(sub(x, c), s);
}

/** center + scale x_n along the last axis (differentiable). */
export function denormalize(range: AffineRange, xn: Tensor): Tensor {
  const [c, s] = rangeTensors(range, xn, 'denormalize');
  return add(mul(xn, s), c);
}

/** The raw global condition [task, flattened o_hist]: task [B, nTask] (or none), oHist [B, T_o, no]. */
export function rawCondition(task: Tensor | undefined, oHist: Tensor): Tensor {
  const flat = reshape(oHist, [oHist.shape[0], -1]);
  return task === undefined || task.shape[1] === 0 ? flat : concat([task, flat], 1);
}

/** Fit the three ranges on a training set: tau0 [N, T_h, a], xHist [N, T_o, nx], oHist [N, T_o, no], task [N, nTask]. */
export function fitNormalizer(data: { tau0: Tensor; xHist: Tensor; oHist: Tensor; task?: Tensor }): Normalizer {
  return { action: fitRange(data.tau0), cond: fitRange(rawCondition(data.task, data.oHist)), state: fitRange(data.xHist) };
}

/**
 * The derivative target in normalized coordinates, flattened for the loss:
 * jac [B, T_h, a, T_o, nx] (raw d tau_0 / d x_hist) -> [B, T_h a, T_o nx], scaled by
 * scale_state[i] / scale_action[a].
 */
export function normalizeJacobian(n: Normalizer, jac: Tensor): Tensor {
  const [B, T, A, To, nx] = jac.shape;
  if (jac.ndim !== 5 || A !== n.action.scale.length || nx !== n.state.scale.length) {
    throw new ShapeError('normalizeJacobian', [jac.shape], `expects [B, T_h, ${n.action.scale.length}, T_o, ${n.state.scale.length}]`);
  }
  const factor = tensor(
    n.action.scale.flatMap((sa) => n.state.scale.map((sx) => sx / sa)),
    [1, 1, A, 1, nx],
    jac.dtype,
  );
  return reshape(mul(jac, factor), [B, T * A, To * nx]);
}

/**
 * M = d cond_n / d x_n [B, condDim, T_o nx] at x_hist [B, T_o, nx] (see the file comment):
 * one forward-mode pass of `observe` per input direction, all samples at once (observations
 * are per sample, so the basis direction e_j of every sample is pushed in one call).
 */
export function conditionJacobian(n: Normalizer, xHist: Tensor, nTask: number, observe?: Observe): Tensor {
  const [B, To, nx] = xHist.shape;
  const nIn = To * nx;
  const condDim = n.cond.scale.length;
  const columns: number[][] = []; // columns[j]: B * condDim values
  for (let j = 0; j < nIn; j++) {
    const e = new Float64Array(B * nIn);
    for (let b = 0; b < B; b++) e[b * nIn + j] = n.state.scale[j % nx];
    const tangent = tensor(e, [B, To, nx], xHist.dtype);
    const dObs = observe === undefined ? tangent : jvp(observe, [xHist], [tangent])[1];
    const flat = dObs.concrete().data;
    const no = flat.length / B;
    if (nTask + no !== condDim) throw new ShapeError('conditionJacobian', [xHist.shape, dObs.shape], `the condition has ${condDim} entries, not ${nTask} + ${no}`);
    const col = new Array<number>(B * condDim).fill(0);
    for (let b = 0; b < B; b++) for (let c = 0; c < no; c++) col[b * condDim + nTask + c] = flat[b * no + c] / n.cond.scale[nTask + c];
    columns.push(col);
  }
  const m = zeros([B, condDim, nIn]).data;
  for (let j = 0; j < nIn; j++) for (let b = 0; b < B; b++) for (let c = 0; c < condDim; c++) m[(b * condDim + c) * nIn + j] = columns[j][b * condDim + c];
  return tensor(m, [B, condDim, nIn]);
}
