/**
 * Training a diffusion policy on trajectory chunks with L_Diff (eq. 6) or L_Sob+Diff (eq. 11).
 *
 * Data: N chunks (tau_0, x_hist, o_hist, d tau_0 / d x_hist), plus task parameters when the
 * policy is conditioned on them (DESIGN section 2's chunk dataset). They are normalized once
 * (normalize.ts), then each step draws a batch, one diffusion step k per chunk, the noise and,
 * for the Sobolev loss, the projection vectors; takes the gradient with `valueAndGrad` (in
 * the step arena of autodiff/arena.ts, which reuses the step's memory);
 * clips its global norm; applies AdamW; and folds the weights into an EMA (Chi et al. train
 * with AdamW and evaluate the EMA weights).
 *
 * Determinism and resumption. All randomness of step s comes from `new Rng(mix(seed, s))`
 * and the batch order from per-epoch permutations seeded by mix(seed, epoch), so the run is
 * a pure function of the seed, and a run resumed from a checkpoint at step s continues
 * bit for bit as if it had never stopped (a test checks this). Checkpoints hold the weights,
 * Adam's moments, the EMA, the step and the policy description (policy.ts), and are written
 * atomically every `checkpointEvery` steps and at the end.
 */
import { ConcreteTensor, type DType, type PyTree, Rng, ShapeError, type Tensor, valueAndGrad, withStepArena } from '../autodiff/index.js';
import { type AdamState, type EmaState, adamw, clipGradNorm, cosineWithWarmup, ema, globalNorm } from '../nn/optim/index.js';
import { CheckpointError, type Json, expectTreeLike, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { type LossBatch, type LossParts, type SobolevForm, diffusionLoss, randomUnitVectors, sobolevDiffusionLoss } from './loss.js';
import { type Normalizer, type Observe, conditionJacobian, fitNormalizer, normalize, normalizeJacobian, rawCondition } from './normalize.js';
import { type ChunkGeometry, type DiffusionPolicy, policyFromMeta, policyMeta } from './policy.js';
import { squaredCosineSchedule } from './schedule.js';
import { type FullUNetConfig, type UNetConfig, type UNetParams, applyUNet, fullConfig, initUNet } from './unet.js';

/** N training chunks, raw (unnormalized). */
export interface ChunkDataset {
  /** [N, T_h, a] */
  readonly tau0: Tensor;
  /** [N, T_o, nx] */
  readonly xHist: Tensor;
  /** [N, T_o, no] (the states themselves when the policy observes the state) */
  readonly oHist: Tensor;
  /** [N, nTask], optional task parameters (a goal, say) */
  readonly task?: Tensor;
  /** d tau_0 / d x_hist [N, T_h, a, T_o, nx]; required by the Sobolev loss (eq. 7) */
  readonly dTau0dXHist?: Tensor;
}

export interface TrainConfig {
  readonly steps: number;
  readonly batchSize: number;
  readonly seed: number;
  /** 'diff' (eq. 6, default) or 'sob' (eq. 11). */
  readonly loss?: 'diff' | 'sob';
  /** alpha_Sob. Default 1. */
  readonly alphaSob?: number;
  /** Projections per chunk. Default 1. */
  readonly nProj?: number;
  /** Sobolev estimator: 'jvp' (input side, default: one pass cheaper) or 'vjp' (output side, eq. 9). */
  readonly form?: SobolevForm;
  /** Peak learning rate (AdamW). Default 1e-3. */
  readonly lr?: number;
  /** AdamW decoupled weight decay. Default 1e-6 (Chi et al.). */
  readonly weightDecay?: number;
  /** Linear warm-up steps before the cosine decay. Default min(500, steps / 10). */
  readonly warmupSteps?: number;
  /** Clip the global gradient norm to this. Default: no clipping. */
  readonly clipNorm?: number;
  /** Maximum EMA decay (with diffusion_policy's warm-up), or false for none. Default 0.9999. */
  readonly emaDecay?: number | false;
  /** dtype of the weights and of the whole network computation. Default float64. */
  readonly dtype?: DType;
  /**
   * Leading chunk entries that are known at sampling time and inpainted (T_o for state
   * actions a = x, whose first entries are x_hist; 0 for torque actions). Default 0.
   */
  readonly knownPrefix?: number;
  /** Diffusion steps. Default 5. */
  readonly K?: number;
  /** U-Net options; actionDim and condDim come from the data. */
  readonly unet?: Omit<UNetConfig, 'actionDim' | 'condDim'>;
  /** o_hist as a function of x_hist, for the Sobolev chain rule. Default: o = x. */
  readonly observe?: Observe;
  /** Report every this many steps (and at the last). Default 0: never. */
  readonly logEvery?: number;
  /** Receives each report; without it reports are printed. */
  readonly onProgress?: (p: Progress) => void;
  /** Where to write checkpoints. */
  readonly checkpointPath?: string;
  /** Checkpoint every this many steps (and at the end). Default 0: only at the end. */
  readonly checkpointEvery?: number;
  /**
   * Stop once this step is reached, leaving the rest for a later call with `resumeFrom`
   * (the learning-rate schedule still spans `steps`). Default: `steps`.
   */
  readonly stopAfter?: number;
  /** Continue from this checkpoint (its step, weights, optimizer state, EMA and normalizer). */
  readonly resumeFrom?: string;
}

export interface Progress {
  step: number;
  steps: number;
  loss: number;
  diff: number;
  sob: number;
  gradNorm: number;
  lr: number;
  msPerStep: number;
}

export interface TrainState {
  readonly step: number;
  readonly params: UNetParams;
  readonly opt: AdamState<UNetParams>;
  readonly ema: EmaState<UNetParams> | null;
}

export interface TrainResult {
  /** The policy with the EMA weights (the last weights when there is no EMA). */
  policy: DiffusionPolicy;
  state: TrainState;
  history: Progress[];
}

/** A 32-bit hash of (seed, stream, index): independent seeds for every step and epoch. */
export function mixSeed(seed: number, stream: number, index: number): number {
  let h = (seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b1) ^ Math.floor(seed / 2 ** 32);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The normalized dataset: what batches are cut from. */
interface Prepared {
  n: number;
  tau0: ConcreteTensor;
  cond: ConcreteTensor;
  jacobian?: ConcreteTensor;
  condJacobian?: ConcreteTensor;
}

function geometryOf(data: ChunkDataset): ChunkGeometry {
  const { tau0, xHist, oHist, task } = data;
  const N = tau0.shape[0];
  const ok = tau0.ndim === 3 && xHist.ndim === 3 && oHist.ndim === 3 && xHist.shape[0] === N && oHist.shape[0] === N &&
    oHist.shape[1] === xHist.shape[1] && (task === undefined || (task.ndim === 2 && task.shape[0] === N));
  if (!ok || N < 1) {
    throw new ShapeError('train', [tau0.shape, xHist.shape, oHist.shape, task?.shape ?? []],
      'expects tau0 [N, T_h, a], xHist [N, T_o, nx], oHist [N, T_o, no], task [N, nTask] with N >= 1');
  }
  const jac = data.dTau0dXHist;
  if (jac !== undefined && !(jac.ndim === 5 && jac.shape.every((d, i) => d === [N, tau0.shape[1], tau0.shape[2], xHist.shape[1], xHist.shape[2]][i]))) {
    throw new ShapeError('train', [tau0.shape, xHist.shape, jac.shape], 'dTau0dXHist must be [N, T_h, a, T_o, nx]');
  }
  return { horizon: tau0.shape[1], historyLength: xHist.shape[1], taskDim: task?.shape[1] ?? 0, stateDim: xHist.shape[2] };
}

function prepare(data: ChunkDataset, normalizer: Normalizer, geometry: ChunkGeometry, observe: Observe | undefined): Prepared {
  const tau0 = normalize(normalizer.action, data.tau0).concrete();
  const cond = normalize(normalizer.cond, rawCondition(data.task, data.oHist)).concrete();
  if (data.dTau0dXHist === undefined) return { n: tau0.shape[0], tau0, cond };
  const jacobian = normalizeJacobian(normalizer, data.dTau0dXHist).concrete();
  const condJacobian = conditionJacobian(normalizer, data.xHist, geometry.taskDim, observe).concrete();
  return { n: tau0.shape[0], tau0, cond, jacobian, condJacobian };
}

/** Rows `index` of x (along axis 0), copied. */
function gatherRows(x: ConcreteTensor, index: readonly number[]): ConcreteTensor {
  const row = x.size / x.shape[0];
  const out = new Float64Array(index.length * row);
  index.forEach((r, i) => out.set(x.data.subarray(r * row, (r + 1) * row), i * row));
  return new ConcreteTensor(out, [index.length, ...x.shape.slice(1)]);
}

/** The chunk indices of step s: positions s B .. s B + B - 1 of the concatenated epoch permutations. */
function batchIndices(seed: number, n: number, batchSize: number, step: number): number[] {
  const out: number[] = [];
  let epoch = -1;
  let perm: number[] = [];
  for (let pos = step * batchSize; pos < (step + 1) * batchSize; pos++) {
    const e = Math.floor(pos / n);
    if (e !== epoch) {
      epoch = e;
      perm = new Rng(mixSeed(seed, 2, e)).permutation(n);
    }
    out.push(perm[pos - e * n]);
  }
  return out;
}

/** A mask [1, T_h, a] with ones on the first `prefix` entries, or undefined. */
function knownMask(prefix: number, horizon: number, actionDim: number): ConcreteTensor | undefined {
  if (prefix <= 0) return undefined;
  if (!Number.isInteger(prefix) || prefix >= horizon) throw new RangeError(`train: knownPrefix ${prefix} must be an integer below T_h = ${horizon}`);
  const m = new Float64Array(horizon * actionDim);
  m.fill(1, 0, prefix * actionDim);
  return new ConcreteTensor(m, [1, horizon, actionDim]);
}

function checkpointContents(state: TrainState, policy: Omit<DiffusionPolicy, 'params'>, seed: number) {
  const trees: Record<string, PyTree> = { params: state.params, mu: state.opt.mu, nu: state.opt.nu };
  if (state.ema !== null) trees.ema = state.ema.params;
  const meta: Json = {
    policy: policyMeta(policy),
    train: { step: state.step, seed, optCount: state.opt.count, emaCount: state.ema?.count ?? null },
  };
  return { meta, trees };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Restore a training state; every mismatch with the requested model is a CheckpointError. */
function resumeState(path: string, unet: FullUNetConfig, geometry: ChunkGeometry, dtype: DType, useEma: boolean, seed: number) {
  const { meta, trees } = loadCheckpoint(path);
  const m = meta as { policy?: Json; train?: { step: number; seed: number; optCount: number; emaCount: number | null } } | null;
  const described = policyFromMeta(path, m?.policy ?? null);
  const train = m?.train;
  if (train === undefined || !Number.isInteger(train.step)) throw new CheckpointError(path, 'is not a training checkpoint (no train.step)');
  if (!sameJson(described.unet, unet)) {
    throw new CheckpointError(path, `was written for the U-Net ${JSON.stringify(described.unet)}, not ${JSON.stringify(unet)}`);
  }
  if (!sameJson(described.geometry, geometry)) {
    throw new CheckpointError(path, `was written for chunks ${JSON.stringify(described.geometry)}, but the data have ${JSON.stringify(geometry)}`);
  }
  if (train.seed !== seed) throw new CheckpointError(path, `was written by a run with seed ${train.seed}, not ${seed}`);
  const reference = initUNet(new Rng(0), unet, dtype);
  const params = expectTreeLike(path, 'params', trees.params, reference);
  const mu = expectTreeLike(path, 'Adam first moments (mu)', trees.mu, reference);
  const nu = expectTreeLike(path, 'Adam second moments (nu)', trees.nu, reference);
  let emaState: EmaState<UNetParams> | null = null;
  if (useEma) {
    const avg = expectTreeLike(path, 'EMA weights (ema)', trees.ema, reference);
    emaState = { params: avg, count: train.emaCount ?? 0 };
  }
  const state: TrainState = { step: train.step, params, opt: { count: train.optCount, mu, nu }, ema: emaState };
  return { state, normalizer: described.normalizer, K: described.schedule.K };
}

/**
 * Train a diffusion policy on `data`. Returns the policy (EMA weights), the final state and
 * the progress reports. See the file comment for the randomness and checkpoint contract.
 */
export function trainDiffusion(data: ChunkDataset, config: TrainConfig): TrainResult {
  const {
    steps, batchSize, seed, loss = 'diff', alphaSob = 1, nProj = 1, form = 'jvp', lr = 1e-3, weightDecay = 1e-6,
    clipNorm, emaDecay = 0.9999, dtype = 'float64', knownPrefix = 0, logEvery = 0, checkpointEvery = 0,
  } = config;
  if (!Number.isInteger(steps) || steps < 0 || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`train: steps must be a non-negative integer and batchSize positive, got ${steps} and ${batchSize}`);
  }
  if (loss === 'sob' && data.dTau0dXHist === undefined) throw new RangeError('train: the Sobolev loss needs dTau0dXHist in the data');
  if (!Number.isInteger(nProj) || nProj < 1) throw new RangeError(`train: nProj must be a positive integer, got ${nProj}`);
  const geometry = geometryOf(data);
  const actionDim = data.tau0.shape[2];
  const condDim = geometry.taskDim + geometry.historyLength * data.oHist.shape[2];
  const unet = fullConfig({ ...config.unet, actionDim, condDim });
  const useEma = emaDecay !== false;

  let state: TrainState;
  let normalizer: Normalizer;
  let K = config.K ?? 5;
  if (config.resumeFrom !== undefined) {
    const resumed = resumeState(config.resumeFrom, unet, geometry, dtype, useEma, seed);
    ({ state, normalizer } = resumed);
    if (config.K !== undefined && config.K !== resumed.K) throw new CheckpointError(config.resumeFrom, `was trained with K = ${resumed.K}, not ${config.K}`);
    K = resumed.K;
  } else {
    normalizer = fitNormalizer(data);
    const params = initUNet(new Rng(mixSeed(seed, 0, 0)), unet, dtype);
    state = { step: 0, params, opt: adamw({}).init(params), ema: useEma ? ema(emaDecay as number, true).init(params) : null };
  }
  const schedule = squaredCosineSchedule(K);
  const described = { unet, normalizer, schedule, geometry };
  const prepared = prepare(data, normalizer, geometry, config.observe);
  const known = knownMask(knownPrefix, geometry.horizon, actionDim);
  const warmupSteps = config.warmupSteps ?? Math.min(500, Math.floor(steps / 10));
  const optimizer = adamw({ lr: cosineWithWarmup({ lr, warmupSteps, totalSteps: Math.max(steps, warmupSteps) }), weightDecay });
  const averager = useEma ? ema(emaDecay as number, true) : null;
  const model = (p: UNetParams, sample: Tensor, k: readonly number[], cond: Tensor) => applyUNet(p, unet, sample, k, cond);
  const history: Progress[] = [];
  const report = config.onProgress ?? ((p: Progress) => console.log(
    `step ${p.step}/${p.steps}  loss ${p.loss.toExponential(4)}  diff ${p.diff.toExponential(3)}  sob ${p.sob.toExponential(3)}  ` +
    `|g| ${p.gradNorm.toExponential(2)}  lr ${p.lr.toExponential(2)}  ${p.msPerStep.toFixed(0)} ms/step`));
  const save = (s: TrainState) => {
    if (config.checkpointPath !== undefined) saveCheckpoint(config.checkpointPath, checkpointContents(s, described, seed));
  };

  const stop = Math.min(config.stopAfter ?? steps, steps);
  let windowStart = performance.now();
  let windowSteps = 0;
  while (state.step < stop) {
    const s = state.step;
    const rng = new Rng(mixSeed(seed, 1, s));
    const index = batchIndices(seed, prepared.n, batchSize, s);
    const tau0 = gatherRows(prepared.tau0, index);
    const batch: LossBatch = {
      tau0,
      cond: gatherRows(prepared.cond, index),
      noise: rng.normal(tau0.shape),
      steps: index.map(() => rng.int(K)),
      known,
    };
    const parts: LossParts = { diff: 0, sob: 0 };
    let lossFn: (p: UNetParams) => Tensor;
    if (loss === 'sob') {
      const jacobian = gatherRows(prepared.jacobian as ConcreteTensor, index);
      const dim = form === 'jvp' ? jacobian.shape[2] : jacobian.shape[1];
      const targets = {
        jacobian,
        condJacobian: gatherRows(prepared.condJacobian as ConcreteTensor, index),
        projections: randomUnitVectors(rng, batchSize, nProj, dim),
      };
      lossFn = (p) => sobolevDiffusionLoss(schedule, model, p, batch, targets, { alpha: alphaSob, form }, parts);
    } else {
      lossFn = (p) => {
        const l = diffusionLoss(schedule, model, p, batch);
        parts.diff = l.item();
        return l;
      };
    }
    // The step's intermediates in the reusable step arena (autodiff/arena.ts); the loss and the gradient are copied out.
    const [value, grads0] = withStepArena(() => valueAndGrad(lossFn)(state.params));
    let grads = grads0;
    // The norm is only reported, so without clipping it is computed at logging steps only.
    let gradNorm = NaN;
    if (clipNorm !== undefined) [grads, gradNorm] = clipGradNorm(grads0, clipNorm);
    const rate = cosineWithWarmup({ lr, warmupSteps, totalSteps: Math.max(steps, warmupSteps) })(state.opt.count);
    const [params, opt] = optimizer.step(state.params, grads, state.opt);
    state = { step: s + 1, params, opt, ema: averager === null || state.ema === null ? null : averager.update(state.ema, params) };
    windowSteps++;

    const last = state.step === stop;
    if (logEvery > 0 && (state.step % logEvery === 0 || last)) {
      if (clipNorm === undefined) gradNorm = globalNorm(grads0);
      const now = performance.now();
      const p: Progress = {
        step: state.step, steps, loss: value.item(), diff: parts.diff, sob: parts.sob, gradNorm, lr: rate, msPerStep: (now - windowStart) / windowSteps,
      };
      history.push(p);
      report(p);
      windowStart = now;
      windowSteps = 0;
    }
    if (checkpointEvery > 0 && state.step % checkpointEvery === 0 && !last) save(state);
  }
  save(state);
  const policy: DiffusionPolicy = { ...described, params: state.ema?.params ?? state.params };
  return { policy, state, history };
}
