/**
 * Minibatch helpers the training loops share: the rows of a dataset picked by index, and the
 * random unit vectors of a stochastic Sobolev estimate (eq. 9 of the main paper: the
 * Jacobian mismatch is measured along a few random directions instead of in full).
 */
import { ConcreteTensor, type Rng } from '../autodiff/index.js';

/** Rows `index` of x (along axis 0), copied into a fresh tensor [index.length, ...] of x's dtype. */
export function gatherRows(x: ConcreteTensor, index: readonly number[]): ConcreteTensor {
  const row = x.size / x.shape[0];
  const out = x.data instanceof Float32Array ? new Float32Array(index.length * row) : new Float64Array(index.length * row);
  index.forEach((r, i) => out.set(x.data.subarray(r * row, (r + 1) * row), i * row));
  return new ConcreteTensor(out, [index.length, ...x.shape.slice(1)]);
}

/**
 * n_proj unit vectors in R^dim per sample, uniform on the sphere: [batch, nProj, dim]
 * (a normalized standard Gaussian is uniform on the sphere by rotational invariance).
 */
export function randomUnitVectors(rng: Rng, batch: number, nProj: number, dim: number): ConcreteTensor {
  const g = rng.normal([batch, nProj, dim]);
  const d = g.data;
  for (let r = 0; r < batch * nProj; r++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += d[r * dim + i] ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < dim; i++) d[r * dim + i] *= inv;
  }
  return g;
}
