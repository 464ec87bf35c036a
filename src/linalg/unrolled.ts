/**
 * Small dense symmetric positive definite solves unrolled into scalar engine ops, element by
 * element: the third form of Cholesky in this folder, beside the Float64Array kernels that
 * serve the solvers (cholesky.ts) and the differentiable primitive (differentiable.ts).
 *
 * Why a third: the rigid-body code (the 6 x 6 and n x n blocks of ABA, forward dynamics
 * through the mass matrix) is traced by `jit` into straight-line scalar code, and `jit`
 * stages only scalar ops; a primitive whose impl is a loop over a Float64Array cannot be
 * staged. Written with the engine's ops, these are differentiable to any order like any
 * composite, and for matrices of a few dozen entries the unrolled loops are also what the
 * compiled code should be.
 */
import { type Tensor, div, mul, reshape, slice, sqrt, stack, sub, tensor } from '../autodiff/index.js';

const at = (v: Tensor, i: number): Tensor => reshape(slice(v, [i]), []);
const at2 = (m: Tensor, i: number, j: number): Tensor => reshape(slice(m, [i, j]), []);

/** The lower Cholesky factor of an SPD matrix A [n, n], as rows of scalars (L[i][j], j <= i). */
export function unrolledCholesky(A: Tensor): Tensor[][] {
  const n = A.shape[0];
  const L: Tensor[][] = [];
  for (let i = 0; i < n; i++) {
    L.push([]);
    for (let j = 0; j <= i; j++) {
      let s = at2(A, i, j);
      for (let k = 0; k < j; k++) s = sub(s, mul(L[i][k], L[j][k]));
      L[i].push(i === j ? sqrt(s) : div(s, L[j][j]));
    }
  }
  return L;
}

/** Solve L L^T x = b for b [n], by forward and back substitution. */
export function unrolledCholeskySolve(L: Tensor[][], b: Tensor): Tensor {
  const n = L.length;
  const y: Tensor[] = [];
  for (let i = 0; i < n; i++) {
    let s = at(b, i);
    for (let k = 0; k < i; k++) s = sub(s, mul(L[i][k], y[k]));
    y.push(div(s, L[i][i]));
  }
  const x: Tensor[] = new Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s = sub(s, mul(L[k][i], x[k]));
    x[i] = div(s, L[i][i]);
  }
  return stack(x, 0);
}

/** A^-1 for an SPD matrix A [n, n] (n = 1 is a plain reciprocal). */
export function unrolledSpdInverse(A: Tensor): Tensor {
  const n = A.shape[0];
  if (n === 1) return reshape(div(1, A), [1, 1]);
  const L = unrolledCholesky(A);
  const columns: Tensor[] = [];
  for (let j = 0; j < n; j++) {
    const e = new Array<number>(n).fill(0);
    e[j] = 1;
    columns.push(unrolledCholeskySolve(L, tensor(e)));
  }
  return stack(columns, 1);
}
