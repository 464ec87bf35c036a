/**
 * A trained diffusion policy: the U-Net's configuration and parameters together with what is
 * needed to use them, the normalizer (normalize.ts), the schedule's K and the chunk geometry.
 * It is what training returns, what a checkpoint restores (checkpoint.ts) and what a rollout
 * (Alg. 2) runs.
 */
import { type Normalizer } from './normalize.js';
import { type DdpmSchedule } from './schedule.js';
import { type FullUNetConfig, type UNetParams } from './unet.js';

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
