/**
 * Linear algebra as autodiff primitives: `solve`, `triangularSolve`, `cholesky`,
 * `choleskySolve`, `logdet` and `eigh`, on float64 tensors (A [n, n], right-hand sides
 * [n] or [n, k]). Each forward pass calls the allocation-free routines of this folder; each
 * derivative rule is written with the engine's ops and these same primitives, so any
 * order of derivative works (matrix-calculus rules as collected by Giles, "An extended
 * collection of matrix derivative results for forward and reverse mode AD", 2008, and
 * Murray, "Differentiation of the Cholesky decomposition", 2016).
 *
 * Symmetric inputs (cholesky, eigh) are read as (A + A^T) / 2: their derivatives are taken
 * with respect to that symmetric part, so a gradient is always a symmetric matrix.
 */
import {
  ConcreteTensor, ShapeError, type Tensor, add, bind, convert, div, eye, matmul, mT, mul, primitive, reshape,
  sub, sum, where,
} from '../autodiff/index.js';
import type { Primitive } from '../autodiff/index.js';
import { choleskyInPlace } from './cholesky.js';
import { EigenWorkspace } from './eigen.js';
import { LuFactorization } from './lu.js';
import { Matrix } from './matrix.js';
import {
  solveLowerMatrixInPlace, solveLowerTransposeMatrixInPlace, solveUpperMatrixInPlace, solveUpperTransposeMatrixInPlace,
} from './triangular.js';

// ---------------------------------------------------------------------------------------
// Helpers: tensors <-> matrices, symmetric part, triangle masks

function asMatrix(x: ConcreteTensor): Matrix {
  const data = new Float64Array(x.size);
  data.set(x.data);
  return new Matrix(x.shape[0], x.ndim === 2 ? x.shape[1] : 1, data);
}

function toTensor(m: Matrix, shape: readonly number[]): ConcreteTensor {
  return new ConcreteTensor(m.data, shape);
}

/** (X + X^T) / 2. */
function symmetricPart(x: Tensor): Tensor {
  return mul(add(x, mT(x)), 0.5);
}

/** Mask keeping the lower (or upper) triangle, diagonal included. */
function triangleMask(n: number, lower: boolean): ConcreteTensor {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data[i * n + j] = (lower ? j <= i : j >= i) ? 1 : 0;
  return new ConcreteTensor(data, [n, n]);
}

/** Phi(X) of the Cholesky derivative: the strict lower triangle plus half the diagonal. */
function phi(x: Tensor): Tensor {
  const n = x.shape[0];
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) data[i * n + j] = i === j ? 0.5 : 1;
  return mul(x, new ConcreteTensor(data, [n, n]));
}

function checkSquare(op: string, a: Tensor, ...rhs: Tensor[]): number {
  const n = a.shape[0];
  if (a.ndim !== 2 || a.shape[1] !== n) throw new ShapeError(op, [a.shape, ...rhs.map((r) => r.shape)], 'A must be square [n, n]');
  for (const b of rhs) {
    if ((b.ndim !== 1 && b.ndim !== 2) || b.shape[0] !== n) {
      throw new ShapeError(op, [a.shape, b.shape], 'the right-hand side must be [n] or [n, k]');
    }
  }
  return n;
}

/** Run a matrix-rhs primitive on a vector rhs by viewing it as one column. */
function withColumns(b: Tensor, f: (b2: Tensor) => Tensor): Tensor {
  if (b.ndim === 2) return f(b);
  return reshape(f(reshape(b, [b.shape[0], 1])), [b.shape[0]]);
}

const float64 = (x: ConcreteTensor) => convert(x, 'float64');

// ---------------------------------------------------------------------------------------
// triangularSolve: X = op(T)^-1 B, T lower or upper triangular, op = identity or transpose

interface TriangularParams {
  lower: boolean;
  transpose: boolean;
}

export const triangularSolveP: Primitive<TriangularParams> = primitive({
  name: 'triangularSolve',
  impl: ([t, b], { lower, transpose }) => {
    const T = asMatrix(float64(t));
    const X = asMatrix(float64(b));
    if (lower) (transpose ? solveLowerTransposeMatrixInPlace : solveLowerMatrixInPlace)(T, X);
    else (transpose ? solveUpperTransposeMatrixInPlace : solveUpperMatrixInPlace)(T, X);
    return toTensor(X, b.shape);
  },
  jvp: ([t, b], [tt, tb], p) => {
    const x = bind(triangularSolveP, [t, b], p);
    // d X = op(T)^-1 (dB - op(dT) X), with dT restricted to T's triangle.
    const dT = tt === null ? null : mul(tt, triangleMask(t.shape[0], p.lower));
    const fromT = dT === null ? null : matmul(dT, x, { transA: p.transpose });
    const rhs = tb === null ? (fromT === null ? null : mul(fromT, -1)) : fromT === null ? tb : sub(tb, fromT);
    return [x, rhs === null ? null : bind(triangularSolveP, [t, rhs], p)];
  },
  vjp: (ct, [t, b], x, p, needs) => {
    const gb = bind(triangularSolveP, [t, ct], { lower: p.lower, transpose: !p.transpose });
    let gt: Tensor | null = null;
    if (needs[0]) {
      const outer = p.transpose ? matmul(x, gb, { transB: true }) : matmul(gb, x, { transB: true });
      gt = mul(mul(outer, triangleMask(t.shape[0], p.lower)), -1);
    }
    return [gt, needs[1] ? gb : null];
  },
});

/** Solve op(T) X = B for triangular T (only its `lower` or upper triangle is read). */
export function triangularSolve(t: Tensor, b: Tensor, options: { lower: boolean; transpose?: boolean }): Tensor {
  checkSquare('triangularSolve', t, b);
  const params = { lower: options.lower, transpose: options.transpose ?? false };
  return withColumns(b, (b2) => bind(triangularSolveP, [t, b2], params));
}

// ---------------------------------------------------------------------------------------
// solve: X = A^-1 B by LU with partial pivoting

export const solveP: Primitive<null> = primitive({
  name: 'solve',
  impl: ([a, b]) => {
    const n = a.shape[0];
    const X = asMatrix(float64(b));
    new LuFactorization(n).factor(asMatrix(float64(a))).solveMatrixInPlace(X);
    return toTensor(X, b.shape);
  },
  jvp: ([a, b], [ta, tb]) => {
    const x = bind(solveP, [a, b], null);
    // d X = A^-1 (dB - dA X)
    const fromA = ta === null ? null : matmul(ta, x);
    const rhs = tb === null ? (fromA === null ? null : mul(fromA, -1)) : fromA === null ? tb : sub(tb, fromA);
    return [x, rhs === null ? null : bind(solveP, [a, rhs], null)];
  },
  vjp: (ct, [a], x, _p, needs) => {
    const gb = bind(solveP, [mT(a), ct], null);
    return [needs[0] ? mul(matmul(gb, x, { transB: true }), -1) : null, needs[1] ? gb : null];
  },
});

/** Solve A X = B (A square and non-singular, B [n] or [n, k]). */
export function solve(a: Tensor, b: Tensor): Tensor {
  checkSquare('solve', a, b);
  return withColumns(b, (b2) => bind(solveP, [a, b2], null));
}

// ---------------------------------------------------------------------------------------
// cholesky: L with L L^T = (A + A^T) / 2

export const choleskyP: Primitive<null> = primitive({
  name: 'cholesky',
  impl: ([a]) => {
    const A = asMatrix(float64(a));
    const n = A.rows;
    // Read the symmetric part, as the derivative rules assume.
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A.data[i * n + j] = 0.5 * (A.data[i * n + j] + A.data[j * n + i]);
    return toTensor(choleskyInPlace(A), a.shape);
  },
  jvp: ([a], [ta]) => {
    const l = bind(choleskyP, [a], null);
    if (ta === null) return [l, null];
    // dL = L Phi(L^-1 dA_s L^-T)
    const lower = { lower: true, transpose: false };
    const m = bind(triangularSolveP, [l, symmetricPart(ta)], lower);
    const s = bind(triangularSolveP, [l, mT(m)], lower);
    return [l, matmul(l, phi(s))];
  },
  vjp: (ct, _a, l) => {
    // gA = sym(L^-T Phi(L^T ct) L^-1)
    const q = bind(triangularSolveP, [l, phi(matmul(l, ct, { transA: true }))], { lower: true, transpose: true });
    const r = mT(bind(triangularSolveP, [l, mT(q)], { lower: true, transpose: true }));
    return [symmetricPart(r)];
  },
});

/** The lower Cholesky factor of the symmetric positive definite (A + A^T) / 2. */
export function cholesky(a: Tensor): Tensor {
  checkSquare('cholesky', a);
  return bind(choleskyP, [a], null);
}

/** Solve A X = B given the Cholesky factor L of A: two triangular solves. */
export function choleskySolve(l: Tensor, b: Tensor): Tensor {
  return triangularSolve(l, triangularSolve(l, b, { lower: true }), { lower: true, transpose: true });
}

// ---------------------------------------------------------------------------------------
// logdet: log |det A|

export const logdetP: Primitive<null> = primitive({
  name: 'logdet',
  impl: ([a]) => {
    const n = a.shape[0];
    const U = new LuFactorization(n).factor(asMatrix(float64(a))).upper();
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.log(Math.abs(U.data[i * n + i]));
    return new ConcreteTensor(new Float64Array([s]), []);
  },
  // d log|det A| = tr(A^-1 dA) = <A^-T, dA>
  jvp: ([a], [ta]) => [bind(logdetP, [a], null), ta === null ? null : sum(mul(inverseTranspose(a), ta))],
  vjp: (ct, [a]) => [mul(ct, inverseTranspose(a))],
});

function inverseTranspose(a: Tensor): Tensor {
  return mT(bind(solveP, [a, eye(a.shape[0])], null));
}

/** log |det A| of a square non-singular A (by LU; no overflow for large determinants). */
export function logdet(a: Tensor): Tensor {
  checkSquare('logdet', a);
  return bind(logdetP, [a], null);
}

// ---------------------------------------------------------------------------------------
// eigh: eigenvalues (ascending) and eigenvectors (columns) of (A + A^T) / 2

function decompose(a: ConcreteTensor) {
  const A = asMatrix(float64(a));
  const n = A.rows;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A.data[i * n + j] = A.data[j * n + i] = 0.5 * (A.data[i * n + j] + A.data[j * n + i]);
  return new EigenWorkspace(n).decompose(A);
}

export const eighValuesP: Primitive<null> = primitive({
  name: 'eighValues',
  impl: ([a]) => new ConcreteTensor(Float64Array.from(decompose(a).values), [a.shape[0]]),
  // dw_i = v_i^T dA_s v_i
  jvp: ([a], [ta]) => {
    const w = bind(eighValuesP, [a], null);
    if (ta === null) return [w, null];
    const v = bind(eighVectorsP, [a], null);
    return [w, sum(mul(v, matmul(symmetricPart(ta), v)), 0)];
  },
  // gA = V diag(ct) V^T
  vjp: (ct, [a]) => {
    const v = bind(eighVectorsP, [a], null);
    return [matmul(mul(v, reshape(ct, [1, -1])), v, { transB: true })];
  },
});

/** F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it (eigenvalues assumed distinct). */
function gapReciprocals(w: Tensor): Tensor {
  const n = w.shape[0];
  const identity = eye(n);
  const gaps = sub(reshape(w, [1, n]), reshape(w, [n, 1]));
  return where(identity, 0, div(1, add(gaps, identity)));
}

export const eighVectorsP: Primitive<null> = primitive({
  name: 'eighVectors',
  impl: ([a]) => {
    const ws = decompose(a);
    return new ConcreteTensor(Float64Array.from(ws.vectors.data), a.shape);
  },
  // dV = V (F o (V^T dA_s V))
  jvp: ([a], [ta]) => {
    const v = bind(eighVectorsP, [a], null);
    if (ta === null) return [v, null];
    const f = gapReciprocals(bind(eighValuesP, [a], null));
    return [v, matmul(v, mul(f, matmul(v, matmul(symmetricPart(ta), v), { transA: true })))];
  },
  // gA = sym(V (F o (V^T G)) V^T)
  vjp: (ct, [a], v) => {
    const f = gapReciprocals(bind(eighValuesP, [a], null));
    return [symmetricPart(matmul(matmul(v, mul(f, matmul(v, ct, { transA: true }))), v, { transB: true }))];
  },
});

/**
 * Eigen-decomposition of the symmetric (A + A^T) / 2: values ascending, vectors as columns.
 * Derivatives of the vectors assume distinct eigenvalues (they blow up as two meet).
 */
export function eigh(a: Tensor): { values: Tensor; vectors: Tensor } {
  checkSquare('eigh', a);
  return { values: bind(eighValuesP, [a], null), vectors: bind(eighVectorsP, [a], null) };
}

