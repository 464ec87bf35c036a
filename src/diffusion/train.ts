/**
 * Training a diffusion policy on trajectory chunks with L_Diff (eq. 6) or L_Sob+Diff (eq. 11),
 * as a loop of named steps:
 *
 *   state = a fresh U-Net and optimizer, or a checkpoint       (checkpoint.ts)
 *   until the last step:
 *     batch            = sampleBatch(chunks, spec, state.step)  (dataset.ts: chunks, k, noise,
 *                                                               Sobolev projections)
 *     { state, metrics } = diffusionTrainStep(setup, state, batch)
 *     report the metrics; every `checkpointEvery` steps write a checkpoint
 *
 * The step takes the loss's gradient with `valueAndGrad` inside the step arena (autodiff/
 * arena.ts, which reuses the step's memory) and applies it with nn/optim's update rule: clip
 * the global norm (optional), AdamW with linear warm-up and cosine decay, then fold the weights
 * into an EMA (Chi et al. train with AdamW and evaluate the EMA weights).
 *
 * Determinism and resumption. A batch is a pure function of (seed, step) (dataset.ts) and the
 * step a pure function of (state, batch), so the run is a pure function of the seed, and a
 * run resumed from a checkpoint at step s continues bit for bit as if it had never stopped (a
 * test checks this). Checkpoints hold the weights, Adam's moments, the EMA, the step and the
 * policy description, and are written atomically every `checkpointEvery` steps and at the end.
 */
import { type DType, Rng, type Tensor, valueAndGrad, withStepArena } from '../autodiff/index.js';
import {
  type Schedule, type TrainState, type UpdateRule, adamw, applyGradients, cosineWithWarmup, ema, globalNorm, initTrainState,
} from '../nn/optim/index.js';
import { CheckpointError } from '../nn/index.js';
import { type PolicyDescription, loadTrainingCheckpoint, saveTrainingCheckpoint } from './checkpoint.js';
import {
  type BatchSpec, type ChunkDataset, type DiffusionBatch, type NormalizedChunks, chunkGeometry, knownMask, mixSeed, normalizeChunks,
  sampleBatch,
} from './dataset.js';
import { type DenoiseFn, type LossParts, type SobolevForm, type SobolevOptions, diffusionLoss, sobolevDiffusionLoss } from './loss.js';
import { type Normalizer, type Observe, fitNormalizer } from './normalize.js';
import { type DiffusionPolicy } from './policy.js';
import { type DdpmSchedule, squaredCosineSchedule } from './schedule.js';
import { type UNetConfig, type UNetParams, applyUNet, fullConfig, initUNet } from './unet.js';

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

/** One progress report (every `logEvery` steps). */
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

export type DiffusionTrainState = TrainState<UNetParams>;

export interface TrainResult {
  /** The policy with the EMA weights (the last weights when there is no EMA). */
  policy: DiffusionPolicy;
  state: DiffusionTrainState;
  history: Progress[];
}

/** What stays fixed from step to step. */
export interface DiffusionStepSetup {
  readonly schedule: DdpmSchedule;
  /** The denoiser D_theta (the U-Net with its configuration). */
  readonly model: DenoiseFn;
  /** L_Sob+Diff (eq. 11) with this weight and estimator; L_Diff (eq. 6) when absent. */
  readonly sobolev?: SobolevOptions;
  /** Clipping, optimizer, EMA (nn/optim/train-state.ts). */
  readonly update: UpdateRule;
  /** The optimizer's learning rate by update count, reported in the metrics. */
  readonly learningRate: Schedule;
}

/** What one step measured. */
export interface StepMetrics {
  /** The batch's loss: L_Diff, or L_Sob+Diff = diff + alpha_Sob sob. */
  readonly loss: number;
  readonly diff: number;
  readonly sob: number;
  /**
   * The gradient's global norm before clipping. Without clipping it costs a pass over every
   * gradient, so it is computed on first read (only the reported steps pay for it).
   */
  readonly gradNorm: number;
  /** The learning rate of this step's update. */
  readonly lr: number;
}

/** One training step: the loss and its gradient on `batch`, then one update of `state`. */
export function diffusionTrainStep(
  setup: DiffusionStepSetup,
  state: DiffusionTrainState,
  batch: DiffusionBatch,
): { state: DiffusionTrainState; metrics: StepMetrics } {
  const { schedule, model, sobolev } = setup;
  const parts: LossParts = { diff: 0, sob: 0 };
  let lossOf: (p: UNetParams) => Tensor;
  if (sobolev === undefined) {
    lossOf = (p) => {
      const l = diffusionLoss(schedule, model, p, batch.loss);
      parts.diff = l.item();
      return l;
    };
  } else {
    const targets = batch.sobolev;
    if (targets === undefined) throw new RangeError('diffusionTrainStep: the Sobolev loss needs a batch with Sobolev targets');
    lossOf = (p) => sobolevDiffusionLoss(schedule, model, p, batch.loss, targets, sobolev, parts);
  }
  // The step's intermediates live in the reusable step arena; the loss and the gradient are copied out.
  const [value, grads] = withStepArena(() => valueAndGrad(lossOf)(state.params));
  const lr = setup.learningRate(state.opt.count);
  const next = applyGradients(setup.update, state, grads);
  let gradNorm = next.gradNorm;
  const metrics: StepMetrics = {
    loss: value.item(),
    diff: parts.diff,
    sob: parts.sob,
    get gradNorm() {
      return (gradNorm ??= globalNorm(grads));
    },
    lr,
  };
  return { state: next.state, metrics };
}

/** Prints a report when the caller gives no `onProgress`. */
const printProgress = (p: Progress): void => console.log(
  `step ${p.step}/${p.steps}  loss ${p.loss.toExponential(4)}  diff ${p.diff.toExponential(3)}  sob ${p.sob.toExponential(3)}  ` +
  `|g| ${p.gradNorm.toExponential(2)}  lr ${p.lr.toExponential(2)}  ${p.msPerStep.toFixed(0)} ms/step`);

/** A run before its first step: where it starts (fresh or resumed) and what stays fixed. */
interface Run {
  state: DiffusionTrainState;
  /** The policy being trained, but for its weights. */
  described: PolicyDescription;
  chunks: NormalizedChunks;
  spec: BatchSpec;
  setup: DiffusionStepSetup;
}

function startRun(data: ChunkDataset, config: TrainConfig): Run {
  const {
    steps, batchSize, seed, loss = 'diff', alphaSob = 1, nProj = 1, form = 'jvp', lr = 1e-3, weightDecay = 1e-6,
    clipNorm, emaDecay = 0.9999, dtype = 'float64', knownPrefix = 0,
  } = config;
  if (!Number.isInteger(steps) || steps < 0 || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`train: steps must be a non-negative integer and batchSize positive, got ${steps} and ${batchSize}`);
  }
  if (loss === 'sob' && data.dTau0dXHist === undefined) throw new RangeError('train: the Sobolev loss needs dTau0dXHist in the data');
  if (!Number.isInteger(nProj) || nProj < 1) throw new RangeError(`train: nProj must be a positive integer, got ${nProj}`);
  const geometry = chunkGeometry(data);
  const actionDim = data.tau0.shape[2];
  const condDim = geometry.taskDim + geometry.historyLength * data.oHist.shape[2];
  const unet = fullConfig({ ...config.unet, actionDim, condDim });
  const useEma = emaDecay !== false;

  // Built once: the optimizer follows it, the metrics report it.
  const warmupSteps = config.warmupSteps ?? Math.min(500, Math.floor(steps / 10));
  const learningRate = cosineWithWarmup({ lr, warmupSteps, totalSteps: Math.max(steps, warmupSteps) });
  const update: UpdateRule = { optimizer: adamw({ lr: learningRate, weightDecay }), clipNorm, ema: useEma ? ema(emaDecay, true) : undefined };

  let state: DiffusionTrainState;
  let normalizer: Normalizer;
  let K = config.K ?? 5;
  if (config.resumeFrom !== undefined) {
    const resumed = loadTrainingCheckpoint(config.resumeFrom, { unet, geometry, dtype, seed, useEma });
    ({ state, normalizer } = resumed);
    if (config.K !== undefined && config.K !== resumed.K) {
      throw new CheckpointError(config.resumeFrom, `was trained with K = ${resumed.K}, not ${config.K}`);
    }
    K = resumed.K;
  } else {
    normalizer = fitNormalizer(data);
    state = initTrainState(update, initUNet(new Rng(mixSeed(seed, 0, 0)), unet, dtype));
  }
  const schedule = squaredCosineSchedule(K);
  const sobolev = loss === 'sob';
  return {
    state,
    described: { unet, normalizer, schedule, geometry },
    chunks: normalizeChunks(data, normalizer, geometry, config.observe),
    spec: { seed, batchSize, K, known: knownMask(knownPrefix, geometry.horizon, actionDim), sobolev: sobolev ? { nProj, form } : undefined },
    setup: {
      schedule,
      model: (p, sample, k, cond) => applyUNet(p, unet, sample, k, cond),
      sobolev: sobolev ? { alpha: alphaSob, form } : undefined,
      update,
      learningRate,
    },
  };
}

/**
 * Train a diffusion policy on `data`. Returns the policy (EMA weights), the final state and
 * the progress reports. See the file comment for the randomness and checkpoint contract.
 */
export function trainDiffusion(data: ChunkDataset, config: TrainConfig): TrainResult {
  const { steps, seed, logEvery = 0, checkpointEvery = 0 } = config;
  const { described, chunks, spec, setup, state: start } = startRun(data, config);
  const report = config.onProgress ?? printProgress;
  const save = (s: DiffusionTrainState) => {
    if (config.checkpointPath !== undefined) saveTrainingCheckpoint(config.checkpointPath, s, described, seed);
  };

  let state = start;
  const history: Progress[] = [];
  const stop = Math.min(config.stopAfter ?? steps, steps);
  let windowStart = performance.now();
  let windowSteps = 0;
  while (state.step < stop) {
    const step = diffusionTrainStep(setup, state, sampleBatch(chunks, spec, state.step));
    state = step.state;
    windowSteps++;

    const last = state.step === stop;
    if (logEvery > 0 && (state.step % logEvery === 0 || last)) {
      const now = performance.now();
      const p: Progress = { step: state.step, steps, ...step.metrics, msPerStep: (now - windowStart) / windowSteps };
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
