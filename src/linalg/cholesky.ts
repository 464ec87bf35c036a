/**
 * Cholesky factorization A = L L^T of a symmetric positive definite matrix, and the
 * solves that use it (Golub & Van Loan, 4th ed., §4.2).
 *
 * This is the hot routine of the DDP backward pass (Q_uu, n = 1..12, hundreds of times
 * per iteration), so the factor and the solves are allocation-free, work in place, and
 * their only checks are a few integer comparisons plus one comparison per pivot.
 *
 * Algorithm: the row-oriented ("Cholesky–Banachiewicz", dot-product) form. Row i of L
 * is computed from rows 0..i-1:
 *
 *     l_ij = (a_ij - sum_{k<j} l_ik l_jk) / l_jj        (j < i)
 *     d_i  =  a_ii - sum_{k<i} l_ik^2,   l_ii = sqrt(d_i)
 *
 * Both dot products run along rows, i.e. over contiguous memory in row-major storage.
 * Only the lower triangle of A is read (A is assumed symmetric; the strict upper
 * triangle is ignored and, on success, overwritten with zeros so that the array holds
 * exactly L).
 *
 * Why the pivot test is `!(d > 0 && d < Infinity)`: d_i > 0 for all i is exactly the
 * condition that every leading minor is positive, i.e. that A is positive definite
 * (GVL Thm 4.2.7 ff.). Written this way the same comparison also rejects NaN (every
 * comparison with NaN is false) and +Infinity, and a NaN or ±Infinity anywhere in the
 * lower triangle necessarily reaches a later pivot (through l_ij), so non-finite input
 * costs nothing extra to detect. No tolerance is applied: a tiny positive pivot is
 * accepted; callers who need a margin regularize (A + mu I) before factoring.
 *
 * Stability: Cholesky needs no pivoting; the computed factor satisfies
 * L L^T = A + E with ||E||_2 <= c n u ||A||_2 (GVL §4.2.6), independent of cond(A).
 */
import { NonFiniteError, NotPositiveDefiniteError, ShapeError } from './errors.js';
import { assertSquare, clone, type Matrix } from './matrix.js';
import { checkFiniteResult, solveLowerMatrixInPlace, solveLowerTransposeMatrixInPlace } from './triangular.js';

/**
 * Factor A = L L^T in place without throwing for indefinite input: the hot-loop variant.
 *
 * Returns -1 on success (A now holds L, zeros above the diagonal), or the 0-based index
 * k of the first pivot that is not > 0 (NaN included). On failure rows 0..k-1 of A hold
 * the corresponding rows of L, a_kk holds the failing pivot value d_k (read it as
 * `A.data[k * n + k]`; NaN or ±Infinity there means the input was not finite), and the
 * remaining entries are partly overwritten: restore A before retrying.
 * Throws only {@link ShapeError} (A not square).
 */
export function tryCholeskyInPlace(A: Matrix): number {
  const n = assertSquare('tryCholeskyInPlace', A);
  const a = A.data;
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = s / a[rj + j]!;
    }
    let d = a[ri + i]!;
    for (let k = 0; k < i; k++) {
      const v = a[ri + k]!;
      d -= v * v;
    }
    if (!(d > 0 && d < Infinity)) {
      a[ri + i] = d;
      return i;
    }
    a[ri + i] = Math.sqrt(d);
    for (let j = i + 1; j < n; j++) a[ri + j] = 0;
  }
  return -1;
}

/**
 * Factor A = L L^T in place (A becomes L, zeros above the diagonal).
 *
 * Throws {@link NotPositiveDefiniteError} (with the failing pivot index and value) if A
 * is not positive definite, {@link NonFiniteError} if the failing pivot is NaN or
 * ±Infinity (the input held a non-finite entry, or overflowed), {@link ShapeError} if A is
 * not square. On a throw A is partly overwritten (see {@link tryCholeskyInPlace}).
 */
export function choleskyInPlace(A: Matrix): Matrix {
  const k = tryCholeskyInPlace(A);
  if (k >= 0) throw choleskyError('choleskyInPlace', k, A.data[k * A.cols + k]!, A.rows);
  return A;
}

/** The typed error for a failed pivot: non-finite pivots mean bad input, not indefiniteness. */
export function choleskyError(routine: string, k: number, d: number, n: number): Error {
  if (Number.isNaN(d) || !Number.isFinite(d)) {
    return new NonFiniteError(
      routine,
      `${n}x${n} matrix: pivot ${k} is ${d}; the lower triangle contains NaN or Infinity (or the factorization overflowed)`,
    );
  }
  return new NotPositiveDefiniteError(routine, k, d, n);
}

/**
 * Solve A x = b in place (b becomes x) given the Cholesky factor L of A:
 * forward substitution L y = b, then back substitution L^T x = y (GVL §4.2, §3.1).
 * Throws {@link ShapeError} on mismatched sizes and {@link NonFiniteError} if the result
 * is not finite (NaN in b, or L not a valid factor). Allocation-free.
 */
export function choleskySolveInPlace(L: Matrix, b: Float64Array): Float64Array {
  const n = L.rows;
  if (L.cols !== n || b.length !== n) {
    throw new ShapeError('choleskySolveInPlace', `factor is ${L.rows}x${L.cols}, right-hand side has length ${b.length}`);
  }
  const l = L.data;
  // L y = b: row-oriented, dot products along row i of L.
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i]!;
    for (let j = 0; j < i; j++) s -= l[ri + j]! * b[j]!;
    b[i] = s / l[ri + i]!;
  }
  // L^T x = y: column-oriented on L^T, which again walks row i of L.
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    const xi = b[i]! / l[ri + i]!;
    b[i] = xi;
    for (let j = 0; j < i; j++) b[j] -= l[ri + j]! * xi;
  }
  checkFiniteResult('choleskySolveInPlace', b);
  return b;
}

/** Solve A X = B in place (B is n x k and becomes X) given the Cholesky factor L of A. */
export function choleskySolveMatrixInPlace(L: Matrix, B: Matrix): Matrix {
  assertSquare('choleskySolveMatrixInPlace', L, 'factor L');
  if (B.rows !== L.rows) {
    throw new ShapeError('choleskySolveMatrixInPlace', `factor is ${L.rows}x${L.cols}, right-hand side is ${B.rows}x${B.cols}`);
  }
  solveLowerMatrixInPlace(L, B);
  solveLowerTransposeMatrixInPlace(L, B);
  return B;
}

/** log det A = 2 sum log l_ii, from the Cholesky factor (no overflow for large n). */
export function choleskyLogDet(L: Matrix): number {
  const n = assertSquare('choleskyLogDet', L, 'factor L');
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(L.data[i * n + i]!);
  return 2 * s;
}

// ---------------------------------------------------------------------------
// Allocating conveniences
// ---------------------------------------------------------------------------

/** A new lower-triangular L with A = L L^T (A is not modified). Throws like {@link choleskyInPlace}. */
export function cholesky(A: Matrix): Matrix {
  const L = clone(A);
  const k = tryCholeskyInPlace(L);
  if (k >= 0) throw choleskyError('cholesky', k, L.data[k * L.cols + k]!, L.rows);
  return L;
}

/** A new x with A x = b, A symmetric positive definite (neither input is modified). */
export function choleskySolve(A: Matrix, b: Float64Array): Float64Array {
  return choleskySolveInPlace(cholesky(A), b.slice());
}
