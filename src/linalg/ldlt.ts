/**
 * Symmetric indefinite factorization P A P^T = L D L^T with Bunch–Kaufman pivoting
 * (Golub & Van Loan, 4th ed., §4.4; J. R. Bunch and L. Kaufman, "Some stable methods for
 * calculating inertia and solving symmetric linear systems", Math. Comp. 31, 1977).
 *
 * L is unit lower triangular, D is block diagonal with 1x1 and 2x2 blocks, P is a
 * symmetric permutation. Why not plain LDL^T without pivoting: for an indefinite matrix
 * a pivot can be zero or tiny (e.g. [[0, 1], [1, 0]]) and the multipliers explode.
 * Why 2x2 blocks: no symmetric permutation of [[0, 1], [1, 0]] has a nonzero 1x1 pivot,
 * so symmetric pivoting alone cannot cure that; a 2x2 block can.
 *
 * Pivot choice at step k (alpha = (1 + sqrt 17) / 8 ~ 0.64 minimizes the worst element
 * growth per step), with lambda = max_{i>k} |a_ik| attained at row r:
 *
 *     |a_kk| >= alpha lambda                         -> 1x1 pivot a_kk
 *     else sigma = max_{j != r} |a_rj|  (trailing part of row r)
 *          |a_kk| sigma >= alpha lambda^2            -> 1x1 pivot a_kk
 *          |a_rr| >= alpha sigma                     -> swap k <-> r, 1x1 pivot
 *          otherwise                                 -> swap k+1 <-> r, 2x2 pivot
 *
 * A 2x2 pivot E = [[a, b], [b, c]] chosen this way has det E <= -(1 - alpha^2) lambda^2 < 0
 * (from |a| sigma < alpha lambda^2 and |c| < alpha sigma, with |b| = lambda), so it is
 * safely invertible and contributes one positive and one negative eigenvalue.
 *
 * Implementation: for readability the trailing Schur complement is kept as a full
 * symmetric matrix (both triangles), so a symmetric swap is a plain swap of two rows
 * and two columns (which also permutes the rows of the already computed columns of L),
 * and the update writes each new entry to both triangles so that it stays exactly
 * symmetric. This costs about twice the flops of a lower-triangle-only version, which
 * does not matter for n <= 12.
 *
 * By Sylvester's law of inertia, the inertia of D (numbers of positive, negative and
 * zero eigenvalues) equals that of A: {@link LdltFactorization.inertia} gives it without
 * an eigensolver, which is how a DDP backward pass can test whether Q_uu is positive
 * definite, and by how much it fails.
 */
import { ShapeError, SingularMatrixError } from './errors.js';
import { assertFinite, assertShape, assertSquare, Matrix } from './matrix.js';
import { checkFiniteResult } from './triangular.js';

const ALPHA = (1 + Math.sqrt(17)) / 8;
const EPS = Number.EPSILON;

/** Numbers of positive, negative and (numerically) zero eigenvalues. */
export interface Inertia {
  positive: number;
  negative: number;
  zero: number;
}

/**
 * A reusable Bunch–Kaufman factorization of symmetric n x n matrices. The workspace is
 * allocated in the constructor; `factor` and `solveInPlace` allocate nothing.
 */
export class LdltFactorization {
  readonly n: number;
  /**
   * Working array. After `factor`, the strict lower triangle holds L's multipliers
   * (except entry (k+1, k) of a 2x2 block, which holds D's off-diagonal instead);
   * the rest is scratch.
   */
  readonly work: Matrix;
  /** Symmetric permutation: (P A P^T)_{ij} = A_{perm[i], perm[j]}. */
  readonly perm: Int32Array;
  /** Diagonal of D. */
  readonly d: Float64Array;
  /** Sub-diagonal of D: e[k] = D_{k+1,k}, nonzero only where a 2x2 block starts at k. */
  readonly e: Float64Array;
  /** Block size starting at k: 1, 2, or 0 for the second row of a 2x2 block. */
  readonly blockSize: Int8Array;
  /** Pivots |d_k| (1x1 blocks) at or below this are treated as zero: n * eps * max|a_ij|. */
  get tolerance(): number {
    return this.tol[0]!;
  }
  /** Held in a typed array so that updating it never boxes a double (no allocation). */
  private readonly tol = new Float64Array(1);
  private readonly tmp: Float64Array;

  constructor(n: number) {
    this.n = n;
    this.work = new Matrix(n, n);
    this.perm = new Int32Array(n);
    this.d = new Float64Array(n);
    this.e = new Float64Array(n);
    this.blockSize = new Int8Array(n);
    this.tmp = new Float64Array(n);
  }

  /**
   * Factor the symmetric matrix A (copied; only its lower triangle is read).
   * Throws {@link ShapeError} and {@link NonFiniteError}; never throws for singular A
   * (see {@link solveInPlace} and {@link inertia}).
   */
  factor(A: Matrix): this {
    const routine = 'LdltFactorization.factor';
    const n = this.n;
    assertShape(routine, A, n, n, 'A');
    assertFinite(routine, A.data, 'A');
    const w = this.work.data;
    // Copy the lower triangle and mirror it, so the working matrix is exactly symmetric.
    let amax = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const v = A.data[i * n + j]!;
        w[i * n + j] = v;
        w[j * n + i] = v;
        amax = Math.max(amax, Math.abs(v));
      }
    }
    this.tol[0] = n * EPS * amax;
    for (let i = 0; i < n; i++) this.perm[i] = i;
    this.d.fill(0);
    this.e.fill(0);
    this.blockSize.fill(0);

    let k = 0;
    while (k < n) {
      // lambda: largest off-diagonal entry of column k in the trailing matrix.
      let lambda = 0;
      let r = k;
      for (let i = k + 1; i < n; i++) {
        const v = Math.abs(w[i * n + k]!);
        if (v > lambda) {
          lambda = v;
          r = i;
        }
      }
      const akk = Math.abs(w[k * n + k]!);
      let twoByTwo = false;
      if (lambda > 0 && akk < ALPHA * lambda) {
        // sigma: largest off-diagonal entry of row (= column) r in the trailing matrix.
        let sigma = 0;
        for (let j = k; j < n; j++) if (j !== r) sigma = Math.max(sigma, Math.abs(w[r * n + j]!));
        if (akk * sigma >= ALPHA * lambda * lambda) {
          // 1x1 pivot at k, no interchange.
        } else if (Math.abs(w[r * n + r]!) >= ALPHA * sigma) {
          this.swap(k, r);
        } else {
          this.swap(k + 1, r);
          twoByTwo = true;
        }
      }
      if (twoByTwo) {
        this.eliminate2x2(k);
        k += 2;
      } else {
        this.eliminate1x1(k);
        k += 1;
      }
    }
    return this;
  }

  /** Symmetric interchange of rows/columns p and q (both >= the current step). */
  private swap(p: number, q: number): void {
    if (p === q) return;
    const n = this.n;
    const w = this.work.data;
    for (let j = 0; j < n; j++) {
      const t = w[p * n + j]!;
      w[p * n + j] = w[q * n + j]!;
      w[q * n + j] = t;
    }
    for (let i = 0; i < n; i++) {
      const t = w[i * n + p]!;
      w[i * n + p] = w[i * n + q]!;
      w[i * n + q] = t;
    }
    const t = this.perm[p]!;
    this.perm[p] = this.perm[q]!;
    this.perm[q] = t;
  }

  /**
   * 1x1 step: d_k = a_kk, l_ik = a_ik / d_k, trailing -= l d l^T. Row k (untouched) still
   * holds the unscaled column k, which is what the update needs. A zero column (d_k = 0
   * and lambda = 0) is a valid step with l = 0: A is singular there.
   */
  private eliminate1x1(k: number): void {
    const n = this.n;
    const w = this.work.data;
    const dk = w[k * n + k]!;
    this.d[k] = dk;
    this.blockSize[k] = 1;
    if (dk === 0) return; // only reachable when the column below is zero too
    for (let i = k + 1; i < n; i++) {
      const m = w[i * n + k]! / dk;
      if (m !== 0) {
        for (let j = k + 1; j <= i; j++) {
          const v = w[i * n + j]! - m * w[k * n + j]!;
          w[i * n + j] = v;
          w[j * n + i] = v;
        }
      }
      w[i * n + k] = m;
    }
  }

  /** 2x2 step: E = rows/cols k, k+1; [l_i,k l_i,k+1] = [a_i,k a_i,k+1] E^{-1}; trailing -= C E^{-1} C^T. */
  private eliminate2x2(k: number): void {
    const n = this.n;
    const w = this.work.data;
    const a = w[k * n + k]!;
    const b = w[(k + 1) * n + k]!;
    const c = w[(k + 1) * n + k + 1]!;
    const det = a * c - b * b;
    this.d[k] = a;
    this.d[k + 1] = c;
    this.e[k] = b;
    this.blockSize[k] = 2;
    this.blockSize[k + 1] = 0;
    for (let i = k + 2; i < n; i++) {
      const ci0 = w[i * n + k]!;
      const ci1 = w[i * n + k + 1]!;
      // [ci0 ci1] E^{-1}, E^{-1} = [[c, -b], [-b, a]] / det.
      const l0 = (c * ci0 - b * ci1) / det;
      const l1 = (a * ci1 - b * ci0) / det;
      for (let j = k + 2; j <= i; j++) {
        // Rows k and k+1 are untouched and hold the unscaled columns k and k+1.
        const v = w[i * n + j]! - l0 * w[k * n + j]! - l1 * w[(k + 1) * n + j]!;
        w[i * n + j] = v;
        w[j * n + i] = v;
      }
      w[i * n + k] = l0;
      w[i * n + k + 1] = l1;
    }
  }

  /** Multiplier L_{ij} (i > j), honouring that entry (k+1, k) of a 2x2 block is not part of L. */
  private l(i: number, j: number): number {
    return this.blockSize[j] === 2 && i === j + 1 ? 0 : this.work.data[i * this.n + j]!;
  }

  /**
   * Inertia of A from that of D. 1x1 blocks with |d_k| <= tolerance count as zero; each
   * 2x2 block contributes by the signs of its determinant and trace.
   */
  inertia(): Inertia {
    const out: Inertia = { positive: 0, negative: 0, zero: 0 };
    const n = this.n;
    for (let k = 0; k < n; k++) {
      const s = this.blockSize[k];
      if (s === 1) {
        const v = this.d[k]!;
        if (Math.abs(v) <= this.tolerance) out.zero++;
        else if (v > 0) out.positive++;
        else out.negative++;
      } else if (s === 2) {
        const a = this.d[k]!;
        const c = this.d[k + 1]!;
        const b = this.e[k]!;
        const det = a * c - b * b;
        if (det < 0) {
          out.positive++;
          out.negative++;
        } else if (a + c > 0) out.positive += 2;
        else out.negative += 2;
      }
    }
    return out;
  }

  /**
   * Solve A x = b in place: with y = P b, solve L z = y, D v = z, L^T u = v, x = P^T u.
   * Throws {@link SingularMatrixError} if a 1x1 pivot is within the tolerance of zero,
   * {@link NonFiniteError} if the result is not finite.
   */
  solveInPlace(b: Float64Array): Float64Array {
    const routine = 'LdltFactorization.solveInPlace';
    const n = this.n;
    if (b.length !== n) throw new ShapeError(routine, `factor is ${n}x${n}, right-hand side has length ${b.length}`);
    for (let k = 0; k < n; k++) {
      if (this.blockSize[k] === 1 && Math.abs(this.d[k]!) <= this.tolerance) {
        throw new SingularMatrixError(routine, k, this.d[k]!, ` (${n}x${n} LDL^T, 1x1 pivot of D within n*eps*max|a_ij|)`);
      }
    }
    const y = this.tmp;
    for (let i = 0; i < n; i++) y[i] = b[this.perm[i]!]!;
    // L z = y (unit lower).
    for (let i = 0; i < n; i++) {
      let s = y[i]!;
      for (let j = 0; j < i; j++) s -= this.l(i, j) * y[j]!;
      y[i] = s;
    }
    // D v = z, block by block.
    for (let k = 0; k < n; k++) {
      const s = this.blockSize[k];
      if (s === 1) {
        y[k] = y[k]! / this.d[k]!;
      } else if (s === 2) {
        const a = this.d[k]!;
        const c = this.d[k + 1]!;
        const bb = this.e[k]!;
        const det = a * c - bb * bb;
        const z0 = y[k]!;
        const z1 = y[k + 1]!;
        y[k] = (c * z0 - bb * z1) / det;
        y[k + 1] = (a * z1 - bb * z0) / det;
      }
    }
    // L^T u = v (unit upper), column-oriented so it walks rows of L.
    for (let i = n - 1; i >= 0; i--) {
      const ui = y[i]!;
      for (let j = 0; j < i; j++) y[j] -= this.l(i, j) * ui;
    }
    for (let i = 0; i < n; i++) b[this.perm[i]!] = y[i]!;
    checkFiniteResult(routine, b);
    return b;
  }

  /** A new unit lower-triangular L. */
  lower(): Matrix {
    const n = this.n;
    const L = new Matrix(n, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) L.data[i * n + j] = this.l(i, j);
      L.data[i * n + i] = 1;
    }
    return L;
  }

  /** A new block-diagonal D. */
  blockDiagonal(): Matrix {
    const n = this.n;
    const D = new Matrix(n, n);
    for (let k = 0; k < n; k++) {
      D.data[k * n + k] = this.d[k]!;
      if (this.blockSize[k] === 2) {
        D.data[(k + 1) * n + k] = this.e[k]!;
        D.data[k * n + k + 1] = this.e[k]!;
      }
    }
    return D;
  }

  /** A new permutation matrix P with (P A P^T)_{ij} = A_{perm[i], perm[j]}: P_{i, perm[i]} = 1. */
  permutation(): Matrix {
    const n = this.n;
    const P = new Matrix(n, n);
    for (let i = 0; i < n; i++) P.data[i * n + this.perm[i]!] = 1;
    return P;
  }
}

/** A new Bunch–Kaufman factorization of the symmetric matrix A (only its lower triangle is read). */
export function ldlt(A: Matrix): LdltFactorization {
  const n = assertSquare('ldlt', A);
  return new LdltFactorization(n).factor(A);
}

/** A new x with A x = b for symmetric (possibly indefinite) A. */
export function ldltSolve(A: Matrix, b: Float64Array): Float64Array {
  return ldlt(A).solveInPlace(b.slice());
}
