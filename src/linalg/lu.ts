/**
 * LU factorization with partial (row) pivoting, P A = L U, and what it gives:
 * solves, the determinant, the inverse (Golub & Van Loan, 4th ed., §3.2 and §3.4).
 *
 * Algorithm: the outer-product ("kji") Gaussian elimination of GVL §3.2, with the row
 * of largest |a_ik| swapped into the pivot position at each step (§3.4.3). In row-major
 * storage every inner loop of the rank-1 update runs along a row. The factors are
 * stored compactly in one n x n array: U on and above the diagonal, the multipliers of
 * the unit lower-triangular L below it. Partial pivoting keeps |l_ij| <= 1, which is
 * what makes the method backward stable in practice (growth factor, GVL §3.4.5).
 *
 * Permutation convention: `perm[i]` is the row of A that ends up in row i, i.e.
 * (P A)_{ij} = A_{perm[i], j}; `sign` is det P = ±1.
 *
 * Singularity: the factorization itself never fails on singular input (a zero pivot
 * column is simply skipped), so the determinant of a singular matrix is 0 rather than an
 * error. Solves and the inverse throw {@link SingularMatrixError} when some pivot
 * satisfies |u_kk| <= n * eps * max_ij |u_ij|, i.e. when U is singular to working
 * precision: a solve would return garbage dominated by rounding (or ±Infinity).
 */
import { ShapeError, SingularMatrixError } from './errors.js';
import { assertFinite, assertShape, assertSquare, Matrix } from './matrix.js';
import {
  checkFiniteResult,
  solveLowerMatrixInPlace,
  solveUpperMatrixInPlace,
} from './triangular.js';

const EPS = Number.EPSILON;

/**
 * Factor P A = L U in place (A becomes the compact L\U), writing the permutation into
 * `perm` (length n). Returns det P (+1 or -1). Throws {@link ShapeError} and
 * {@link NonFiniteError} (NaN / ±Infinity in A, checked by one scan); never throws for
 * singular A. Allocation-free.
 */
export function luInPlace(A: Matrix, perm: Int32Array): number {
  const n = assertSquare('luInPlace', A);
  if (perm.length !== n) throw new ShapeError('luInPlace', `perm must have length ${n}, got ${perm.length}`);
  assertFinite('luInPlace', A.data, 'A');
  const a = A.data;
  let sign = 1;
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let k = 0; k < n; k++) {
    // Pivot search down column k.
    let p = k;
    let best = Math.abs(a[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (best === 0) continue; // column already eliminated: U has a zero pivot here
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j]!;
        a[k * n + j] = a[p * n + j]!;
        a[p * n + j] = t;
      }
      const t = perm[k]!;
      perm[k] = perm[p]!;
      perm[p] = t;
      sign = -sign;
    }
    // Divide rather than multiply by a reciprocal: the multiplier is then correctly
    // rounded, and a row that is an exact multiple of the pivot row cancels to exactly 0.
    const pivot = a[k * n + k]!;
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const m = a[ri + k]! / pivot;
      a[ri + k] = m;
      if (m === 0) continue;
      const rk = k * n;
      for (let j = k + 1; j < n; j++) a[ri + j] -= m * a[rk + j]!;
    }
  }
  return sign;
}

/**
 * A reusable LU factorization of n x n matrices: the workspace is allocated once in the
 * constructor, after which `factor`, `solveInPlace`, `solveMatrixInPlace`,
 * `determinant` and `inverseInto` allocate nothing.
 */
export class LuFactorization {
  readonly n: number;
  /** Compact factors: U on and above the diagonal, unit-lower L's multipliers below. */
  readonly lu: Matrix;
  /** Row permutation: (P A)_{ij} = A_{perm[i], j}. */
  readonly perm: Int32Array;
  /** det P = ±1. */
  sign = 1;
  /** First pivot judged singular to working precision, or -1. */
  singularPivot = -1;
  private readonly tmp: Float64Array;

  constructor(n: number) {
    this.n = n;
    this.lu = new Matrix(n, n);
    this.perm = new Int32Array(n);
    this.tmp = new Float64Array(n);
  }

  /** Factor A (copied; A is not modified). */
  factor(A: Matrix): this {
    assertShape('LuFactorization.factor', A, this.n, this.n, 'A');
    this.lu.data.set(A.data);
    this.sign = luInPlace(this.lu, this.perm);
    // Numerical singularity test, relative to the size of U.
    const n = this.n;
    const u = this.lu.data;
    let umax = 0;
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) umax = Math.max(umax, Math.abs(u[i * n + j]!));
    const tol = n * EPS * umax;
    this.singularPivot = -1;
    for (let k = 0; k < n; k++) {
      if (!(Math.abs(u[k * n + k]!) > tol)) {
        this.singularPivot = k;
        break;
      }
    }
    return this;
  }

  /** det A = det(P)^{-1} prod u_kk (+0 for a matrix with an exactly zero pivot; may overflow for large n). */
  determinant(): number {
    const n = this.n;
    let d = this.sign;
    for (let k = 0; k < n; k++) d *= this.lu.data[k * n + k]!;
    return d + 0; // turns -0 into +0
  }

  private assertNonsingular(routine: string): void {
    const k = this.singularPivot;
    if (k >= 0) {
      throw new SingularMatrixError(routine, k, this.lu.data[k * this.n + k]!, ` (${this.n}x${this.n} LU, tolerance n*eps*max|U|)`);
    }
  }

  /** Solve A x = b in place (b becomes x): y = P b, L z = y, U x = z. */
  solveInPlace(b: Float64Array): Float64Array {
    const routine = 'LuFactorization.solveInPlace';
    const n = this.n;
    if (b.length !== n) throw new ShapeError(routine, `factor is ${n}x${n}, right-hand side has length ${b.length}`);
    this.assertNonsingular(routine);
    const a = this.lu.data;
    const y = this.tmp;
    for (let i = 0; i < n; i++) y[i] = b[this.perm[i]!]!;
    for (let i = 0; i < n; i++) {
      let s = y[i]!;
      for (let j = 0; j < i; j++) s -= a[i * n + j]! * y[j]!;
      y[i] = s;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i]!;
      for (let j = i + 1; j < n; j++) s -= a[i * n + j]! * y[j]!;
      y[i] = s / a[i * n + i]!;
    }
    b.set(y);
    checkFiniteResult(routine, b);
    return b;
  }

  /** Solve A X = B in place (B is n x k and becomes X). Permutes B's rows, then two triangular solves. */
  solveMatrixInPlace(B: Matrix): Matrix {
    const routine = 'LuFactorization.solveMatrixInPlace';
    const n = this.n;
    if (B.rows !== n) throw new ShapeError(routine, `factor is ${n}x${n}, right-hand side is ${B.rows}x${B.cols}`);
    this.assertNonsingular(routine);
    this.permuteRows(B);
    solveLowerMatrixInPlace(this.lu, B, true);
    solveUpperMatrixInPlace(this.lu, B);
    return B;
  }

  /** out = A^{-1}: solve A X = I column block by column block (GVL §3.4.9 notes this is rarely needed). */
  inverseInto(out: Matrix): Matrix {
    const routine = 'LuFactorization.inverseInto';
    const n = this.n;
    assertShape(routine, out, n, n, 'out');
    this.assertNonsingular(routine);
    // P I has a one at (i, perm[i]).
    out.data.fill(0);
    for (let i = 0; i < n; i++) out.data[i * n + this.perm[i]!] = 1;
    solveLowerMatrixInPlace(this.lu, out, true);
    solveUpperMatrixInPlace(this.lu, out);
    return out;
  }

  /** A new unit lower-triangular L. */
  lower(): Matrix {
    const n = this.n;
    const L = new Matrix(n, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) L.data[i * n + j] = this.lu.data[i * n + j]!;
      L.data[i * n + i] = 1;
    }
    return L;
  }

  /** A new upper-triangular U. */
  upper(): Matrix {
    const n = this.n;
    const U = new Matrix(n, n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) U.data[i * n + j] = this.lu.data[i * n + j]!;
    return U;
  }

  /** Replace B's rows by those of P B, cycle by cycle, using tmp as marker space (no allocation). */
  private permuteRows(B: Matrix): void {
    const n = this.n;
    const k = B.cols;
    const x = B.data;
    // Straightforward approach for small n: rotate each permutation cycle, one column at a time.
    const done = this.tmp;
    for (let c = 0; c < k; c++) {
      done.fill(0);
      for (let start = 0; start < n; start++) {
        if (done[start] !== 0) continue;
        // Row i of the result is row perm[i] of the input: walk the cycle start -> perm[start] -> ...
        const first = x[start * k + c]!;
        let i = start;
        for (;;) {
          done[i] = 1;
          const src = this.perm[i]!;
          if (src === start) {
            x[i * k + c] = first;
            break;
          }
          x[i * k + c] = x[src * k + c]!;
          i = src;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Allocating conveniences
// ---------------------------------------------------------------------------

/** A new LU factorization of A (A is not modified). */
export function lu(A: Matrix): LuFactorization {
  const n = assertSquare('lu', A);
  return new LuFactorization(n).factor(A);
}

/** A new x with A x = b (general square A). Throws {@link SingularMatrixError} for singular A. */
export function luSolve(A: Matrix, b: Float64Array): Float64Array {
  return lu(A).solveInPlace(b.slice());
}

/** det A via LU (0 for exactly singular A). */
export function determinant(A: Matrix): number {
  return lu(A).determinant();
}

/** A new A^{-1}. Throws {@link SingularMatrixError} for singular A. */
export function inverse(A: Matrix): Matrix {
  const f = lu(A);
  return f.inverseInto(new Matrix(f.n, f.n));
}
