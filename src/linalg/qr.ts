/**
 * Householder QR factorization A = Q R of an m x n matrix, and linear least squares
 * (Golub & Van Loan, 4th ed., §5.1 Householder reflections, §5.2 Householder QR
 * (Algorithm 5.2.1), §5.3 the full-rank least squares problem).
 *
 * Storage is LAPACK-like and compact: after `factor`, the upper triangle of `qr` holds R
 * and column k below the diagonal holds the essential part of the k-th Householder
 * vector v_k (v_k[k] = 1 is implicit), with H_k = I - beta_k v_k v_k^T and
 * Q = H_0 H_1 ... H_{r-1}, r = min(m, n). Q is never formed unless asked for: applying
 * Q^T to a vector costs O(m n) and is more accurate than multiplying by a formed Q.
 *
 * The reflector (GVL §5.1.2-5.1.3) maps x to -sign(x_1) ||x|| e_1, the choice LAPACK makes:
 * then v_1 = x_1 + sign(x_1) ||x|| involves no cancellation and, normalized to v_1 = 1,
 * every |v_i| <= 1. (GVL's Algorithm 5.1.1 maps to +||x|| e_1 and avoids the cancellation
 * with Parlett's formula v_1 = -sigma / (x_1 + ||x||); it is also stable, but |v_i| can be
 * large, and on random 1..12 x 1..12 matrices its Q was measurably less orthogonal:
 * worst ||Q^T Q - I||_F of 2.3 max(m, n) eps against 1.6 for this choice.) So R's diagonal
 * can have either sign, as with LAPACK's dgeqrf. We scale x by max|x_i| before squaring,
 * so that ||x||^2 can neither overflow nor underflow.
 *
 * Householder QR is backward stable: the computed R is the exact R of A + E with
 * ||E||_F <= c m n u ||A||_F, and the computed Q is orthogonal to working precision
 * (GVL §5.2.2). For least squares, QR avoids squaring the condition number as the
 * normal equations A^T A x = A^T b would.
 */
import { ShapeError, SingularMatrixError } from './errors.js';
import { assertFinite, assertShape, Matrix, normFrobenius } from './matrix.js';
import { checkFiniteResult } from './triangular.js';

const EPS = Number.EPSILON;

/**
 * A reusable Householder QR of m x n matrices. Workspace is allocated in the
 * constructor; `factor`, `applyQtInPlace`, `applyQInPlace` and `solveLeastSquaresInto`
 * allocate nothing.
 */
export class QrFactorization {
  readonly m: number;
  readonly n: number;
  /** min(m, n): the number of reflectors. */
  readonly r: number;
  /** R in the upper triangle; Householder vectors (without their unit first entry) below. */
  readonly qr: Matrix;
  /** beta_k of each reflector H_k = I - beta_k v_k v_k^T (0 means H_k = I). */
  readonly beta: Float64Array;
  /** Diagonal entries |r_kk| at or below this make R numerically singular: max(m, n) * eps * ||A||_F. */
  tolerance = 0;
  private readonly rowWork: Float64Array;
  private readonly colWork: Float64Array;

  constructor(m: number, n: number) {
    this.m = m;
    this.n = n;
    this.r = Math.min(m, n);
    this.qr = new Matrix(m, n);
    this.beta = new Float64Array(this.r);
    this.rowWork = new Float64Array(n);
    this.colWork = new Float64Array(m);
  }

  /** Factor A (copied). Throws {@link ShapeError}, {@link NonFiniteError}. */
  factor(A: Matrix): this {
    const routine = 'QrFactorization.factor';
    const { m, n } = this;
    assertShape(routine, A, m, n, 'A');
    assertFinite(routine, A.data, 'A');
    const a = this.qr.data;
    a.set(A.data);
    this.tolerance = Math.max(m, n) * EPS * normFrobenius(A);
    const w = this.rowWork;
    for (let k = 0; k < this.r; k++) {
      const beta = this.house(k);
      this.beta[k] = beta;
      if (beta === 0) continue;
      // Apply H_k to the trailing columns: A[k:, k+1:] -= beta v (v^T A[k:, k+1:]).
      // w = v^T A accumulated row by row, so both loops stream along rows.
      for (let j = k + 1; j < n; j++) w[j] = a[k * n + j]!;
      for (let i = k + 1; i < m; i++) {
        const vi = a[i * n + k]!;
        if (vi === 0) continue;
        for (let j = k + 1; j < n; j++) w[j] += vi * a[i * n + j]!;
      }
      for (let j = k + 1; j < n; j++) w[j] *= beta;
      for (let j = k + 1; j < n; j++) a[k * n + j] -= w[j]!;
      for (let i = k + 1; i < m; i++) {
        const vi = a[i * n + k]!;
        if (vi === 0) continue;
        for (let j = k + 1; j < n; j++) a[i * n + j] -= vi * w[j]!;
      }
    }
    return this;
  }

  /**
   * Householder vector for x = A[k:, k], with scaling. Overwrites a_kk with
   * -sign(x_1) ||x|| (the new r_kk) and a_ik, i > k, with v_i; returns beta = 2 / v^T v.
   */
  private house(k: number): number {
    const { m, n } = this;
    const a = this.qr.data;
    let scale = 0;
    for (let i = k; i < m; i++) scale = Math.max(scale, Math.abs(a[i * n + k]!));
    if (scale === 0) return 0; // zero column: H = I, r_kk = 0
    const x1 = a[k * n + k]! / scale;
    let sigma = 0;
    for (let i = k + 1; i < m; i++) {
      const t = a[i * n + k]! / scale;
      sigma += t * t;
    }
    if (sigma === 0) {
      // Already a multiple of e_1 (below-diagonal entries are zero, or so small that their
      // squares underflow even after scaling): H = I.
      for (let i = k + 1; i < m; i++) a[i * n + k] = 0;
      return 0;
    }
    // v1 = x1 + sign(x1) ||x||: no cancellation, and |v_i| = |x_i / v1| <= 1 after normalization.
    const mu = Math.sqrt(x1 * x1 + sigma);
    const v1 = x1 >= 0 ? x1 + mu : x1 - mu;
    const beta = (2 * v1 * v1) / (sigma + v1 * v1);
    for (let i = k + 1; i < m; i++) a[i * n + k] = a[i * n + k]! / scale / v1;
    a[k * n + k] = (x1 >= 0 ? -mu : mu) * scale;
    return beta;
  }

  /** b := Q^T b (b of length m) = H_{r-1} ... H_0 b. */
  applyQtInPlace(b: Float64Array): Float64Array {
    if (b.length !== this.m) throw new ShapeError('QrFactorization.applyQtInPlace', `Q is ${this.m}x${this.m}, vector has length ${b.length}`);
    for (let k = 0; k < this.r; k++) this.reflect(k, b);
    return b;
  }

  /** b := Q b (b of length m) = H_0 ... H_{r-1} b. */
  applyQInPlace(b: Float64Array): Float64Array {
    if (b.length !== this.m) throw new ShapeError('QrFactorization.applyQInPlace', `Q is ${this.m}x${this.m}, vector has length ${b.length}`);
    for (let k = this.r - 1; k >= 0; k--) this.reflect(k, b);
    return b;
  }

  /** b := H_k b. */
  private reflect(k: number, b: Float64Array): void {
    const beta = this.beta[k]!;
    if (beta === 0) return;
    const { m, n } = this;
    const a = this.qr.data;
    let s = b[k]!;
    for (let i = k + 1; i < m; i++) s += a[i * n + k]! * b[i]!;
    s *= beta;
    b[k] -= s;
    for (let i = k + 1; i < m; i++) b[i] -= s * a[i * n + k]!;
  }

  /**
   * Least squares: x (length n) minimizing ||A x - b||_2 for m >= n and A of full
   * column rank: x = R_1^{-1} (Q^T b)[0:n] (GVL §5.3.3). For square A this is the
   * solution of A x = b. b (length m) is not modified.
   * Throws {@link ShapeError} if m < n, {@link SingularMatrixError} if some |r_kk| is at or
   * below `tolerance` (A rank deficient to working precision), {@link NonFiniteError}.
   */
  solveLeastSquaresInto(x: Float64Array, b: Float64Array): Float64Array {
    const routine = 'QrFactorization.solveLeastSquaresInto';
    const { m, n } = this;
    if (m < n) throw new ShapeError(routine, `needs a tall or square matrix (m >= n), got ${m}x${n}`);
    if (b.length !== m || x.length !== n) {
      throw new ShapeError(routine, `A is ${m}x${n}, b has length ${b.length} (need ${m}), x has length ${x.length} (need ${n})`);
    }
    const a = this.qr.data;
    for (let k = 0; k < n; k++) {
      const rkk = a[k * n + k]!;
      if (!(Math.abs(rkk) > this.tolerance)) {
        throw new SingularMatrixError(routine, k, rkk, ` (${m}x${n} QR: rank deficient, |r_kk| <= max(m,n)*eps*||A||_F)`);
      }
    }
    const c = this.colWork;
    c.set(b);
    this.applyQtInPlace(c);
    // Back substitution R_1 x = c[0:n].
    for (let i = n - 1; i >= 0; i--) {
      let s = c[i]!;
      for (let j = i + 1; j < n; j++) s -= a[i * n + j]! * x[j]!;
      x[i] = s / a[i * n + i]!;
    }
    checkFiniteResult(routine, x);
    return x;
  }

  /** ||A x - b||_2 at the least-squares solution: the norm of (Q^T b)[n:m]. Allocation-free. */
  residualNorm(b: Float64Array): number {
    if (b.length !== this.m) throw new ShapeError('QrFactorization.residualNorm', `b must have length ${this.m}, got ${b.length}`);
    const c = this.colWork;
    c.set(b);
    this.applyQtInPlace(c);
    let s = 0;
    for (let i = this.n; i < this.m; i++) s += c[i]! * c[i]!;
    return Math.sqrt(s);
  }

  /**
   * A new Q: thin (m x r, orthonormal columns; the default) or full (m x m), formed by
   * backward accumulation Q = H_0 (H_1 (... (H_{r-1} I))) (GVL §5.1.6), which touches
   * only the shrinking trailing block at each step.
   */
  q(full = false): Matrix {
    const { m, n } = this;
    const cols = full ? m : this.r;
    const Q = new Matrix(m, cols);
    const q = Q.data;
    const a = this.qr.data;
    for (let i = 0; i < Math.min(m, cols); i++) q[i * cols + i] = 1;
    const w = new Float64Array(cols);
    for (let k = this.r - 1; k >= 0; k--) {
      const beta = this.beta[k]!;
      if (beta === 0) continue;
      // w = beta v^T Q[k:, k:], then Q[k:, k:] -= v w.
      for (let j = k; j < cols; j++) w[j] = q[k * cols + j]!;
      for (let i = k + 1; i < m; i++) {
        const vi = a[i * n + k]!;
        for (let j = k; j < cols; j++) w[j] += vi * q[i * cols + j]!;
      }
      for (let j = k; j < cols; j++) {
        w[j] *= beta;
        q[k * cols + j] -= w[j]!;
      }
      for (let i = k + 1; i < m; i++) {
        const vi = a[i * n + k]!;
        for (let j = k; j < cols; j++) q[i * cols + j] -= vi * w[j]!;
      }
    }
    return Q;
  }

  /** A new R: thin (r x n; the default) or full (m x n, zero rows below). */
  R(full = false): Matrix {
    const { m, n } = this;
    const rows = full ? m : this.r;
    const R = new Matrix(rows, n);
    for (let i = 0; i < this.r; i++) for (let j = i; j < n; j++) R.data[i * n + j] = this.qr.data[i * n + j]!;
    return R;
  }
}

/** A new Householder QR of A (A is not modified). */
export function qr(A: Matrix): QrFactorization {
  return new QrFactorization(A.rows, A.cols).factor(A);
}

/** A new x minimizing ||A x - b||_2 (A m x n, m >= n, full column rank). */
export function leastSquares(A: Matrix, b: Float64Array): Float64Array {
  return qr(A).solveLeastSquaresInto(new Float64Array(A.cols), b);
}
