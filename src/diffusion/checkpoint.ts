/**
 * What a diffusion policy puts into a checkpoint. The file itself (a safetensors file sealed
 * by a SHA-256 of every byte, atomic write, errors for corrupt files) is nn/checkpoint.ts; this
 * module decides its contents (a PyTorch user finds the weights under `params.*` or `ema.*`,
 * and this description as JSON in the metadata's `meta`):
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
import { CheckpointError, type CheckpointContents, type Json, decodeCheckpoint, expectTreeLike, loadCheckpoint, saveCheckpoint } from '../nn/index.js';
import { type EmaState, type TrainState } from '../nn/optim/index.js';
import { type AffineRange, type Normalizer } from './normalize.js';
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

/**
 * Rebuild the non-weight part of a policy from its JSON, checking every field. The file's
 * checksum already guarantees that the bytes are the ones we wrote, so these checks guard
 * against files made by hand or by another program: whatever they hold, the result is a
 * valid description or a CheckpointError naming the field, never a raw TypeError later on.
 */
export function policyFromMeta(path: string, meta: Json): PolicyDescription {
  const bad = (detail: string): never => {
    throw new CheckpointError(path, `the policy description ${detail}`);
  };
  const m = meta as { unet?: unknown; normalizer?: unknown; K?: unknown; geometry?: unknown } | null;
  if (m === null || typeof m !== 'object' || !m.unet || !m.normalizer || typeof m.K !== 'number' || !m.geometry) {
    throw new CheckpointError(path, 'the header lacks the policy description (unet, normalizer, K, geometry)');
  }
  if (!Number.isInteger(m.K) || m.K < 1) bad(`has K = ${m.K}, not a positive integer`);
  let unet: FullUNetConfig;
  try {
    unet = fullConfig(m.unet as FullUNetConfig);
  } catch (e) {
    return bad(`has an invalid unet (${(e as Error).message})`);
  }
  const g = m.geometry as Record<string, unknown>;
  const counts = { horizon: 1, historyLength: 1, taskDim: 0, stateDim: 1 } as const;
  for (const [key, min] of Object.entries(counts)) {
    const v = g[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) bad(`has geometry.${key} = ${String(v)}, not an integer >= ${min}`);
  }
  const geometry: ChunkGeometry = { horizon: g.horizon as number, historyLength: g.historyLength as number, taskDim: g.taskDim as number, stateDim: g.stateDim as number };
  const n = m.normalizer as Record<string, unknown>;
  const sizes = { action: unet.actionDim, cond: unet.condDim, state: geometry.stateDim };
  const normalizer = {} as Record<keyof typeof sizes, AffineRange>;
  for (const [key, size] of Object.entries(sizes) as [keyof typeof sizes, number][]) {
    const r = (n[key] ?? null) as { center?: unknown; scale?: unknown } | null;
    const finite = (v: unknown, positive: boolean): v is number[] =>
      Array.isArray(v) && v.length === size && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
    if (r === null || typeof r !== 'object' || !finite(r.center, false) || !finite(r.scale, true)) {
      bad(`has an invalid normalizer.${key}: it needs center and scale of ${size} finite numbers (scales positive)`);
    }
    normalizer[key] = { center: r!.center as number[], scale: r!.scale as number[] };
  }
  return { unet, normalizer, schedule: squaredCosineSchedule(m.K), geometry };
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
  return policyFromContents(path, loadCheckpoint(path));
}

/** A policy from the bytes of a policy or training checkpoint (a fetched file in a browser); `name` only names it in errors. */
export function decodePolicy(bytes: Uint8Array, name = '(memory)'): DiffusionPolicy {
  return policyFromContents(name, decodeCheckpoint(bytes, name));
}

function policyFromContents(path: string, { meta, trees }: CheckpointContents): DiffusionPolicy {
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
  if (train === undefined || train === null || typeof train !== 'object' || !Number.isInteger(train.step)) throw new CheckpointError(path, 'is not a training checkpoint (no train.step)');
  const counts = { step: train.step, optCount: train.optCount, emaCount: train.emaCount ?? 0 };
  for (const [key, v] of Object.entries(counts)) {
    if (!Number.isSafeInteger(v) || v < 0) throw new CheckpointError(path, `has train.${key} = ${String(v)}, not a count`);
  }
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
