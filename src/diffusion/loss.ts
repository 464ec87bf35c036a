/**
 * The training losses of the main paper, on normalized data (normalize.ts).
 *
 * L_Diff, eq. (6) (Ho et al.'s simplified objective in the "predict tau_0" form Chi et al.
 * use): draw k uniformly, eps ~ N(0, I), tau_k by eq. (3), and regress the clean chunk,
 *
 *   L_Diff = mean over (b, t, a) of (tau_0 - D_theta(tau_k, k, cond))^2
 *
 * (PyTorch's mse_loss: a mean over every entry, so the scale does not depend on T_h).
 *
 * L_Sob+Diff, eq. (11): the same plus alpha_Sob times a stochastic estimate of the Jacobian
 * mismatch of eq. (8), ||A||_F^2 with A = d D_theta / d x_hist - d tau_0 / d x_hist, an
 * [m x n] matrix per sample (m = T_h a outputs, n = T_o nx inputs). Two estimators, both with
 * n_proj random unit vectors drawn uniformly on the sphere:
 *
 *   output side (eq. 9, a VJP):  v in R^m,  ||v^T A||^2,   E = ||A||_F^2 / m
 *   input side (a JVP):          w in R^n,  ||A w||^2,     E = ||A||_F^2 / n
 *
 * because E[v v^T] = I / m for v uniform on the unit sphere of R^m. Each squared norm is then
 * divided by its length (n for the VJP, m for the JVP), i.e. averaged over the entries of the
 * projected vector like the MSE above, so both estimators have the same expectation:
 *
 *   E[L_Sob] = ||A||_F^2 / (m n),   the mean squared entry of the Jacobian mismatch,
 *
 * averaged over the batch. (Multiply by m n to get eq. (8)'s Frobenius term.) The JVP form
 * costs one forward-mode pass per projection, the VJP form one reverse pass; both run inside
 * `valueAndGrad` over the parameters, which nests them (reverse over forward, or reverse
 * over reverse). In the JVP form the primal output of the JVP is D_theta itself, so L_Diff
 * reuses it and the network runs once.
 *
 * The derivative is taken with respect to x_hist through the condition only (tau_k is held
 * fixed): D_theta(tau_k, k, cond_n(x_n)), whose Jacobian is (d D / d cond_n) M with the
 * condition Jacobian M of normalize.ts.
 */
import {
  ConcreteTensor, ShapeError, type Tensor, add, broadcastTo, cast, div, jvp, matmul, mean, mul, reshape, slice, square, sub, sum, vjp,
  where,
} from '../autodiff/index.js';
import { type DdpmSchedule, addNoise } from './schedule.js';
import { type UNetParams } from './unet.js';

/** The network as the losses see it: tau_0 predicted from (tau_k, k, cond). */
export type DenoiseFn = (params: UNetParams, sample: Tensor, steps: readonly number[], cond: Tensor) => Tensor;

/** One normalized batch with its randomness already drawn, so a loss is a pure function of the parameters. */
export interface LossBatch {
  /** Clean chunks [B, T_h, a], normalized. */
  tau0: Tensor;
  /** Global condition [B, C], normalized. */
  cond: Tensor;
  /** eps ~ N(0, I), [B, T_h, a]. */
  noise: Tensor;
  /** One diffusion step per sample, in 0 .. K - 1. */
  steps: readonly number[];
  /**
   * Known (inpainted) entries, 1 where known, broadcastable to [B, T_h, a]: they are written
   * into tau_k (as Chi et al. do) and left out of both loss terms. Optional.
   */
  known?: Tensor;
}

export interface SobolevTargets {
  /** d tau_0 / d x_hist in normalized coordinates, [B, m, n] (normalizeJacobian). */
  jacobian: Tensor;
  /** M = d cond_n / d x_n, [B, C, n] (conditionJacobian). */
  condJacobian: Tensor;
  /** Unit vectors [B, n_proj, n] for the JVP form, [B, n_proj, m] for the VJP form (randomUnitVectors). */
  projections: Tensor;
}

/** 'vjp': projection on the output side, as eq. (9) writes it; 'jvp': on the input side. */
export type SobolevForm = 'jvp' | 'vjp';

export interface SobolevOptions {
  /** alpha_Sob, the weight of the Sobolev term. */
  alpha: number;
  form: SobolevForm;
}

/** The parts of the last loss evaluated, as plain numbers (for progress reports). */
export interface LossParts {
  diff: number;
  sob: number;
}

/** The projections of the Sobolev term (eq. 9) are drawn by nn's `randomUnitVectors`; re-exported for callers of the losses. */
export { randomUnitVectors } from '../nn/index.js';

/** tau_k by eq. (3), with the known entries overwritten by their clean values. */
export function noisyChunk(schedule: DdpmSchedule, batch: LossBatch): Tensor {
  const tauK = addNoise(schedule, batch.tau0, batch.noise, batch.steps);
  return batch.known === undefined ? tauK : where(batch.known, batch.tau0, tauK);
}

/** 1 - known, broadcast to `shape` (a constant), or undefined when nothing is known. */
function keepMask(known: Tensor | undefined, shape: readonly number[]): ConcreteTensor | undefined {
  if (known === undefined) return undefined;
  return broadcastTo(sub(1, cast(known, 'float64')), shape).concrete();
}

/** Mean of (a - b)^2 over the entries where keep = 1 (all entries without a mask). */
function maskedMse(a: Tensor, b: Tensor, keep: ConcreteTensor | undefined): Tensor {
  const err = square(sub(a, b));
  if (keep === undefined) return mean(err);
  let count = 0;
  for (const v of keep.data) count += v;
  if (count === 0) throw new RangeError('loss: every entry is marked known; nothing to learn');
  return div(sum(mul(err, keep)), count);
}

/** L_Diff, eq. (6), from a prediction of the clean chunk. */
export function diffusionTerm(pred: Tensor, batch: LossBatch): Tensor {
  const tau0 = batch.tau0;
  return maskedMse(cast(pred, tau0.dtype), tau0, keepMask(batch.known, tau0.shape));
}

/** L_Diff, eq. (6): the denoising loss of one batch. */
export function diffusionLoss(schedule: DdpmSchedule, model: DenoiseFn, params: UNetParams, batch: LossBatch): Tensor {
  return diffusionTerm(model(params, noisyChunk(schedule, batch), batch.steps, batch.cond), batch);
}

function checkTargets(batch: LossBatch, targets: SobolevTargets, form: SobolevForm): [number, number, number, number] {
  const [B, T, A] = batch.tau0.shape;
  const m = T * A;
  const { jacobian: J, condJacobian: M, projections: P } = targets;
  const n = J.shape[2];
  const ok =
    J.ndim === 3 && J.shape[0] === B && J.shape[1] === m &&
    M.ndim === 3 && M.shape[0] === B && M.shape[1] === batch.cond.shape[1] && M.shape[2] === n &&
    P.ndim === 3 && P.shape[0] === B && P.shape[2] === (form === 'jvp' ? n : m);
  if (!ok) {
    throw new ShapeError(`sobolevLoss (${form})`, [batch.tau0.shape, J.shape, M.shape, P.shape],
      `expects jacobian [${B}, ${m}, n], condJacobian [${B}, ${batch.cond.shape[1]}, n], projections [${B}, n_proj, ${form === 'jvp' ? 'n' : m}]`);
  }
  return [B, m, n, P.shape[1]];
}

/** Projection p of every sample: [B, dim]. */
const projection = (P: Tensor, p: number): ConcreteTensor =>
  reshape(slice(P, [{}, { start: p, stop: p + 1 }]), [P.shape[0], P.shape[2]]).concrete();

/** Each row of [B, dim] scaled to unit length (a row of zeros stays zero). */
function renormalizedRows(v: ConcreteTensor): ConcreteTensor {
  const [B, dim] = v.shape;
  const d = Float64Array.from(v.data);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += d[b * dim + i] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let i = 0; i < dim; i++) d[b * dim + i] *= inv;
  }
  return new ConcreteTensor(d, v.shape);
}

/** Batched matrix-vector product: [B, r, c] x [B, c] -> [B, r]. */
const matvec = (A: Tensor, x: Tensor): Tensor => reshape(matmul(A, reshape(x, [x.shape[0], x.shape[1], 1])), [A.shape[0], A.shape[1]]);
/** Batched vector-matrix product: [B, r] x [B, r, c] -> [B, c]. */
const vecmat = (x: Tensor, A: Tensor): Tensor => reshape(matmul(reshape(x, [x.shape[0], 1, x.shape[1]]), A), [A.shape[0], A.shape[2]]);

/**
 * The Sobolev estimate (1 / n_proj) sum_p L_p and the network's prediction at the batch, for
 * the L_Diff term to reuse. JVP form: L_p = mean over (b, i) of ((J_theta - J) w_p)_i^2;
 * VJP form: L_p = mean over (b, j) of (v_p^T (J_theta - J))_j^2 (see the file comment).
 */
export function sobolevTerm(
  schedule: DdpmSchedule,
  model: DenoiseFn,
  params: UNetParams,
  batch: LossBatch,
  targets: SobolevTargets,
  form: SobolevForm,
): { sob: Tensor; pred: Tensor } {
  const [B, m, n, nProj] = checkTargets(batch, targets, form);
  if (nProj < 1) throw new RangeError('sobolevLoss: needs at least one projection');
  const tauK = noisyChunk(schedule, batch);
  const net = (cond: Tensor) => model(params, tauK, batch.steps, cond);
  const keep = keepMask(batch.known, batch.tau0.shape);
  const keepRows = keep === undefined ? undefined : reshape(keep, [B, m]).concrete();
  const { jacobian: J, condJacobian: M, projections: P } = targets;
  let total: Tensor | null = null;
  let pred: Tensor | null = null;
  if (form === 'jvp') {
    for (let p = 0; p < nProj; p++) {
      const w = projection(P, p);
      const [y, dy] = jvp(net, [batch.cond], [matvec(M, w).concrete()]);
      pred ??= y;
      const target = matvec(J, w).concrete();
      const term = maskedMse(cast(reshape(dy, [B, m]), target.dtype), target, keepRows);
      total = total === null ? term : add(total, term);
    }
  } else {
    const [y, pullback] = vjp(net, batch.cond);
    pred = y;
    for (let p = 0; p < nProj; p++) {
      let v = projection(P, p);
      if (keepRows !== undefined) v = renormalizedRows(mul(v, keepRows).concrete());
      const [dCond] = pullback(reshape(cast(v, y.dtype), y.shape));
      const projected = vecmat(cast(dCond, M.dtype), M);
      const target = vecmat(v, J).concrete();
      const term = maskedMse(projected, target, undefined);
      total = total === null ? term : add(total, term);
    }
  }
  return { sob: div(total as Tensor, nProj), pred: pred as Tensor };
}

/**
 * L_Sob+Diff, eq. (11): L_Diff + alpha_Sob L_Sob. With alpha = 0 it equals `diffusionLoss` on
 * the same batch (the projections then cost a pass for nothing: call diffusionLoss instead).
 * `parts`, when given, receives the two terms' values.
 */
export function sobolevDiffusionLoss(
  schedule: DdpmSchedule,
  model: DenoiseFn,
  params: UNetParams,
  batch: LossBatch,
  targets: SobolevTargets,
  options: SobolevOptions,
  parts?: LossParts,
): Tensor {
  if (!(options.alpha >= 0)) throw new RangeError(`sobolevLoss: alpha_Sob must be non-negative, got ${options.alpha}`);
  const { sob, pred } = sobolevTerm(schedule, model, params, batch, targets, options.form);
  const diff = diffusionTerm(pred, batch);
  if (parts !== undefined) {
    parts.diff = diff.item();
    parts.sob = sob.item();
  }
  return add(diff, mul(sob, options.alpha));
}
