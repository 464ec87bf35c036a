/**
 * A trained diffusion policy: the U-Net's configuration and parameters together with what is
 * needed to use them, the normalizer (normalize.ts), the schedule's K and the chunk geometry.
 * It is what training returns, what a checkpoint restores and what a rollout (Alg. 2) runs.
 */
import { type PyTree, Rng, treeLeaves } from '../autodiff/index.js';
import { CheckpointError, type Json, expectTreeLike, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { type Normalizer } from './normalize.js';
import { type DdpmSchedule, squaredCosineSchedule } from './schedule.js';
import { type FullUNetConfig, type UNetParams, fullConfig, initUNet } from './unet.js';

export interface ChunkGeometry {
  /** T_h, entries per chunk. */
  readonly horizon: number;
  /** T_o, entries of history (states) the policy is conditioned on. */
  readonly historyLength: number;
  /** Size of the task parameters at the front of the condition (0 for none). */
  readonly taskDim: number;
  /** State dimension nx. */
  readonly stateDim: number;
}

export interface DiffusionPolicy {
  readonly unet: FullUNetConfig;
  readonly params: UNetParams;
  readonly normalizer: Normalizer;
  readonly schedule: DdpmSchedule;
  readonly geometry: ChunkGeometry;
}

/** The JSON part of a policy (everything but the weights). */
export function policyMeta(p: Omit<DiffusionPolicy, 'params'>): Json {
  return {
    unet: { ...p.unet, downDims: [...p.unet.downDims] },
    normalizer: p.normalizer as unknown as Json,
    K: p.schedule.K,
    geometry: { ...p.geometry },
  };
}

/** Rebuild the non-weight part of a policy from its JSON, checking that the fields are there. */
export function policyFromMeta(path: string, meta: Json): Omit<DiffusionPolicy, 'params'> {
  const m = meta as { unet?: FullUNetConfig; normalizer?: Normalizer; K?: number; geometry?: ChunkGeometry } | null;
  if (m === null || typeof m !== 'object' || !m.unet || !m.normalizer || typeof m.K !== 'number' || !m.geometry) {
    throw new CheckpointError(path, 'the header lacks the policy description (unet, normalizer, K, geometry)');
  }
  return { unet: fullConfig(m.unet), normalizer: m.normalizer, schedule: squaredCosineSchedule(m.K), geometry: m.geometry };
}

/** Save a policy's weights and description (atomically, see checkpoint.ts). */
export function savePolicy(path: string, policy: DiffusionPolicy): void {
  saveCheckpoint(path, { meta: { policy: policyMeta(policy) }, trees: { params: policy.params as PyTree } });
}

/**
 * Load a policy from a file written by `savePolicy`, or from a training checkpoint (train.ts),
 * whose EMA weights are used when present.
 */
export function loadPolicy(path: string): DiffusionPolicy {
  const { meta, trees } = loadCheckpoint(path);
  const described = policyFromMeta(path, (meta as { policy?: Json } | null)?.policy ?? null);
  const stored = trees.ema ?? trees.params;
  const dtype = stored === undefined ? 'float64' : (treeLeaves(stored)[0]?.dtype ?? 'float64');
  const reference = initUNet(new Rng(0), described.unet, dtype);
  const params = expectTreeLike(path, 'params', stored, reference as PyTree) as UNetParams;
  return { ...described, params };
}

