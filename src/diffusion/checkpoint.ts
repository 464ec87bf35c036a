/**
 * What a diffusion policy puts into a checkpoint. The file itself (binary layout, checksum,
 * atomic write, errors for corrupt files) is nn/checkpoint.ts; this module decides its contents:
 *
 *   meta.policy   the U-Net configuration, the normalizer, K and the chunk geometry (policy.ts)
 *   meta.train    training checkpoints only: step, seed, and the update counts of Adam and the EMA
 *   trees         params; training checkpoints also mu and nu (Adam's moments) and ema
 *
 * A policy file (`savePolicy`) holds meta.policy and params; `loadPolicy` reads either kind,
 * taking the EMA weights of a training checkpoint when it has them. Resuming checks that the
 * checkpoint was written for the same model, data geometry and seed, so a run never silently
 * continues from someone else's weights.
 */
import { type DType, type PyTree, Rng, treeLeaves } from '../autodiff/index.js';
import { CheckpointError, type Json, expectTreeLike, loadCheckpoint, saveCheckpoint } from '../nn/index.js';
import { type EmaState, type TrainState } from '../nn/optim/index.js';
import { type Normalizer } from './normalize.js';
import { type ChunkGeometry, type DiffusionPolicy } from './policy.js';
import { squaredCosineSchedule } from './schedule.js';
import { type FullUNetConfig, type UNetParams, fullConfig, initUNet } from './unet.js';

/** A policy without its weights: everything meta.policy describes. */
export type PolicyDescription = Omit<DiffusionPolicy, 'params'>;

/** The JSON part of a policy (everything but the weights). */
export function policyMeta(p: PolicyDescription): Json {
  return {
    unet: { ...p.unet, downDims: [...p.unet.downDims] },
    normalizer: p.normalizer as unknown as Json,
    K: p.schedule.K,
    geometry: { ...p.geometry },
  };
}

/** Rebuild the non-weight part of a policy from its JSON, checking that the fields are there. */
export function policyFromMeta(path: string, meta: Json): PolicyDescription {
  const m = meta as { unet?: FullUNetConfig; normalizer?: Normalizer; K?: number; geometry?: ChunkGeometry } | null;
  if (m === null || typeof m !== 'object' || !m.unet || !m.normalizer || typeof m.K !== 'number' || !m.geometry) {
    throw new CheckpointError(path, 'the header lacks the policy description (unet, normalizer, K, geometry)');
  }
  return { unet: fullConfig(m.unet), normalizer: m.normalizer, schedule: squaredCosineSchedule(m.K), geometry: m.geometry };
}

/** The tree a fresh U-Net has: what loaded weights are checked against. */
const referenceParams = (unet: FullUNetConfig, dtype: DType): UNetParams => initUNet(new Rng(0), unet, dtype);

/** Save a policy's weights and description (atomically, see nn/checkpoint.ts). */
export function savePolicy(path: string, policy: DiffusionPolicy): void {
  saveCheckpoint(path, { meta: { policy: policyMeta(policy) }, trees: { params: policy.params as PyTree } });
}

/**
 * Load a policy from a file written by `savePolicy`, or from a training checkpoint, whose
 * EMA weights are used when present.
 */
export function loadPolicy(path: string): DiffusionPolicy {
  const { meta, trees } = loadCheckpoint(path);
  const described = policyFromMeta(path, (meta as { policy?: Json } | null)?.policy ?? null);
  const stored = trees.ema ?? trees.params;
  const dtype = stored === undefined ? 'float64' : (treeLeaves(stored)[0]?.dtype ?? 'float64');
  const params = expectTreeLike(path, 'params', stored, referenceParams(described.unet, dtype));
  return { ...described, params };
}

/** The update counts and seed of a training checkpoint (its meta.train). */
type TrainMeta = {
  step: number;
  seed: number;
  optCount: number;
  emaCount: number | null;
};

/** Save a training state with the description of the policy it trains (atomically). */
export function saveTrainingCheckpoint(path: string, state: TrainState<UNetParams>, policy: PolicyDescription, seed: number): void {
  const trees: Record<string, PyTree> = { params: state.params, mu: state.opt.mu, nu: state.opt.nu };
  if (state.ema !== null) trees.ema = state.ema.params;
  const train: TrainMeta = { step: state.step, seed, optCount: state.opt.count, emaCount: state.ema?.count ?? null };
  saveCheckpoint(path, { meta: { policy: policyMeta(policy), train }, trees });
}

/** What a resumed run must agree with. */
export interface ResumeExpectations {
  readonly unet: FullUNetConfig;
  readonly geometry: ChunkGeometry;
  readonly dtype: DType;
  readonly seed: number;
  /** Whether the run keeps an EMA (then the checkpoint must have one). */
  readonly useEma: boolean;
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Restore a training state, with the normalizer and K it was trained with; every mismatch
 * with `expected` is a CheckpointError naming the file.
 */
export function loadTrainingCheckpoint(
  path: string,
  expected: ResumeExpectations,
): { state: TrainState<UNetParams>; normalizer: Normalizer; K: number } {
  const { unet, geometry, dtype, seed, useEma } = expected;
  const { meta, trees } = loadCheckpoint(path);
  const m = meta as { policy?: Json; train?: TrainMeta } | null;
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
  const reference = referenceParams(unet, dtype);
  const params = expectTreeLike(path, 'params', trees.params, reference);
  const mu = expectTreeLike(path, 'Adam first moments (mu)', trees.mu, reference);
  const nu = expectTreeLike(path, 'Adam second moments (nu)', trees.nu, reference);
  let ema: EmaState<UNetParams> | null = null;
  if (useEma) ema = { params: expectTreeLike(path, 'EMA weights (ema)', trees.ema, reference), count: train.emaCount ?? 0 };
  const state: TrainState<UNetParams> = { step: train.step, params, opt: { count: train.optCount, mu, nu }, ema };
  return { state, normalizer: described.normalizer, K: described.schedule.K };
}
