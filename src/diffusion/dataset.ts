/**
 * The chunk dataset of DESIGN section 2 and the batches cut from it.
 *
 * Data: N chunks (tau_0, x_hist, o_hist, d tau_0 / d x_hist), plus task parameters when the
 * policy is conditioned on them. They are normalized once (normalize.ts). The batch of
 * training step s is then a pure function of (seed, s):
 *
 *   chunks       positions s B .. s B + B - 1 of the concatenated epoch permutations, epoch e
 *                shuffled by new Rng(mixSeed(seed, 2, e))
 *   randomness   from new Rng(mixSeed(seed, 1, s)), in this order: the noise eps, one diffusion
 *                step k per chunk, and for the Sobolev loss the projection vectors (eq. 9)
 *
 * so a run resumed from a checkpoint at step s draws exactly the batches it would have drawn.
 */
import { ConcreteTensor, Rng, ShapeError, type Tensor } from '../autodiff/index.js';
import { gatherRows, randomUnitVectors } from '../nn/index.js';
import { type LossBatch, type SobolevForm, type SobolevTargets } from './loss.js';
import { type Normalizer, type Observe, conditionJacobian, normalize, normalizeJacobian, rawCondition } from './normalize.js';
import { type ChunkGeometry } from './policy.js';

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

/** A 32-bit hash of (seed, stream, index): independent seeds for every step and epoch. */
export function mixSeed(seed: number, stream: number, index: number): number {
  let h = (seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b1) ^ Math.floor(seed / 2 ** 32);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The chunk geometry of a dataset, checking that its arrays agree. */
export function chunkGeometry(data: ChunkDataset): ChunkGeometry {
  const { tau0, xHist, oHist, task } = data;
  const N = tau0.shape[0];
  const ok = tau0.ndim === 3 && xHist.ndim === 3 && oHist.ndim === 3 && xHist.shape[0] === N && oHist.shape[0] === N &&
    oHist.shape[1] === xHist.shape[1] && (task === undefined || (task.ndim === 2 && task.shape[0] === N));
  if (!ok || N < 1) {
    throw new ShapeError('train', [tau0.shape, xHist.shape, oHist.shape, task?.shape ?? []],
      'expects tau0 [N, T_h, a], xHist [N, T_o, nx], oHist [N, T_o, no], task [N, nTask] with N >= 1');
  }
  const jac = data.dTau0dXHist;
  const jacShape = [N, tau0.shape[1], tau0.shape[2], xHist.shape[1], xHist.shape[2]];
  if (jac !== undefined && !(jac.ndim === 5 && jac.shape.every((d, i) => d === jacShape[i]))) {
    throw new ShapeError('train', [tau0.shape, xHist.shape, jac.shape], 'dTau0dXHist must be [N, T_h, a, T_o, nx]');
  }
  return { horizon: tau0.shape[1], historyLength: xHist.shape[1], taskDim: task?.shape[1] ?? 0, stateDim: xHist.shape[2] };
}

/** The normalized dataset: what batches are cut from. */
export interface NormalizedChunks {
  readonly n: number;
  /** [N, T_h, a] */
  readonly tau0: ConcreteTensor;
  /** [N, C], the global condition [task, flattened o_hist] */
  readonly cond: ConcreteTensor;
  /** d tau_0 / d x_hist [N, T_h a, T_o nx] (normalizeJacobian), when the data have it */
  readonly jacobian?: ConcreteTensor;
  /** d cond / d x_hist [N, C, T_o nx] (conditionJacobian), when the data have a jacobian */
  readonly condJacobian?: ConcreteTensor;
}

export function normalizeChunks(data: ChunkDataset, normalizer: Normalizer, geometry: ChunkGeometry, observe: Observe | undefined): NormalizedChunks {
  const tau0 = normalize(normalizer.action, data.tau0).concrete();
  const cond = normalize(normalizer.cond, rawCondition(data.task, data.oHist)).concrete();
  if (data.dTau0dXHist === undefined) return { n: tau0.shape[0], tau0, cond };
  const jacobian = normalizeJacobian(normalizer, data.dTau0dXHist).concrete();
  const condJacobian = conditionJacobian(normalizer, data.xHist, geometry.taskDim, observe).concrete();
  return { n: tau0.shape[0], tau0, cond, jacobian, condJacobian };
}

/** A mask [1, T_h, a] with ones on the first `prefix` entries (inpainted, not learned), or undefined. */
export function knownMask(prefix: number, horizon: number, actionDim: number): ConcreteTensor | undefined {
  if (prefix <= 0) return undefined;
  if (!Number.isInteger(prefix) || prefix >= horizon) throw new RangeError(`train: knownPrefix ${prefix} must be an integer below T_h = ${horizon}`);
  const m = new Float64Array(horizon * actionDim);
  m.fill(1, 0, prefix * actionDim);
  return new ConcreteTensor(m, [1, horizon, actionDim]);
}

/** What every batch of a run shares. */
export interface BatchSpec {
  readonly seed: number;
  readonly batchSize: number;
  /** Diffusion steps: k is drawn from 0 .. K - 1. */
  readonly K: number;
  /** The known-prefix mask (knownMask), passed on to the loss. */
  readonly known?: Tensor;
  /** For the Sobolev loss: projections per chunk, and the estimator that sets their length. */
  readonly sobolev?: { readonly nProj: number; readonly form: SobolevForm };
}

/** One step's batch: the loss's inputs with their randomness drawn, and the Sobolev targets when asked for. */
export interface DiffusionBatch {
  readonly loss: LossBatch;
  readonly sobolev?: SobolevTargets;
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

/** The batch of training step `step` (see the file comment for how it is drawn). */
export function sampleBatch(chunks: NormalizedChunks, spec: BatchSpec, step: number): DiffusionBatch {
  const rng = new Rng(mixSeed(spec.seed, 1, step));
  const index = batchIndices(spec.seed, chunks.n, spec.batchSize, step);
  const tau0 = gatherRows(chunks.tau0, index);
  const loss: LossBatch = {
    tau0,
    cond: gatherRows(chunks.cond, index),
    noise: rng.normal(tau0.shape),
    steps: index.map(() => rng.int(spec.K)),
    known: spec.known,
  };
  if (spec.sobolev === undefined) return { loss };
  if (chunks.jacobian === undefined || chunks.condJacobian === undefined) {
    throw new RangeError('train: the Sobolev loss needs dTau0dXHist in the data');
  }
  const jacobian = gatherRows(chunks.jacobian, index);
  const dim = spec.sobolev.form === 'jvp' ? jacobian.shape[2] : jacobian.shape[1];
  const sobolev: SobolevTargets = {
    jacobian,
    condJacobian: gatherRows(chunks.condJacobian, index),
    projections: randomUnitVectors(rng, spec.batchSize, spec.sobolev.nProj, dim),
  };
  return { loss, sobolev };
}
