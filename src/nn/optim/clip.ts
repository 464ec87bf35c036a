/**
 * Gradient clipping by global norm (Pascanu, Mikolov and Bengio, "On the difficulty of
 * training recurrent neural networks", ICML 2013): when the norm of all gradients together
 * exceeds `maxNorm`, scale them all by maxNorm / norm. The direction is kept, only the length
 * is capped, so one outlier batch (a badly conditioned Sobolev target, say) cannot throw the
 * weights far. Same formula as PyTorch's `clip_grad_norm_`, including its 1e-6 guard.
 */
import { type PyTree, unflatten } from '../../autodiff/pytree.js';
import { assertFiniteLeaf, concreteLeaves, like, wrap } from './tree.js';

/** sqrt of the sum of squares of every element of every leaf, accumulated in float64. */
export function globalNorm(tree: PyTree): number {
  let s = 0;
  for (const leaf of concreteLeaves(tree)[0]) {
    const d = leaf.data;
    s = d instanceof Float32Array ? sumSquares32(d, s) : sumSquares64(d, s);
  }
  return Math.sqrt(s);
}

/** s + the squares of d, in order; one function per dtype keeps each loop monomorphic. */
function sumSquares32(d: Float32Array, s: number): number {
  for (let k = 0; k < d.length; k++) s += d[k] * d[k];
  return s;
}

function sumSquares64(d: Float64Array, s: number): number {
  for (let k = 0; k < d.length; k++) s += d[k] * d[k];
  return s;
}

/**
 * [clipped gradients, norm before clipping]. The tree is returned unchanged when its norm is
 * within `maxNorm`. A NaN or infinite gradient throws a `NonFiniteError` naming its leaf.
 */
export function clipGradNorm<T extends PyTree>(grads: T, maxNorm: number): [T, number] {
  if (!(maxNorm > 0)) throw new RangeError(`clipGradNorm: maxNorm must be positive, got ${maxNorm}`);
  const [leaves, def] = concreteLeaves(grads);
  for (const leaf of leaves) assertFiniteLeaf('clipGradNorm', 'gradient', leaf);
  const norm = globalNorm(grads);
  const coef = maxNorm / (norm + 1e-6);
  if (coef >= 1) return [grads, norm];
  const scaled = leaves.map((leaf) => {
    const out = like(leaf);
    for (let k = 0; k < out.length; k++) out[k] = leaf.data[k] * coef;
    return wrap(out, leaf.shape);
  });
  return [unflatten<T>(def, scaled), norm];
}
