/**
 * Symmetric eigendecomposition A = V diag(w) V^T by the cyclic Jacobi method
 * (Golub & Van Loan, 4th ed., §8.5: the 2x2 symmetric Schur decomposition and the
 * cyclic-by-row Jacobi algorithm), plus what the solvers use it for: condition numbers
 * and the projection onto the cone of positive semidefinite matrices.
 *
 * Why Jacobi rather than tridiagonalization + QR: for n <= 12 it is competitive, it is
 * short enough to read in one sitting, its eigenvectors come out orthogonal to working
 * precision, and it is accurate (small eigenvalues of graded matrices are found with
 * high relative accuracy, which matters for condition diagnostics).
 *
 * One rotation J(p, q, theta) annihilates a_pq:
 *
 *     tau = (a_qq - a_pp) / (2 a_pq),  t = sign(tau) / (|tau| + sqrt(1 + tau^2)),
 *     c = 1 / sqrt(1 + t^2),  s = t c,   A := J^T A J,  V := V J
 *
 * choosing the smaller root t (|theta| <= pi/4), which is what guarantees convergence of
 * the cyclic method (quadratic in the end). A sweep visits every (p, q), p < q, once; we
 * stop when off(A) = ||A - diag(A)||_F <= eps ||A||_F, after which each diagonal entry is
 * within about eps ||A||_F of an eigenvalue (Weyl).
 *
 * Cost: 5 to 9 sweeps for n <= 12 in our tests, each sweep n(n-1)/2 rotations of O(n).
 * A known weak spot: spectra made of a few exactly repeated values (e.g. all eigenvalues
 * +-1), whose multiplicities rounding has split by ~eps, can converge only linearly in
 * the last stage; we measured up to 38 sweeps there (hence the generous budget of 100).
 * Tridiagonal QR (GVL §8.3) does not have this weakness and is the upgrade path if it
 * ever matters for speed.
 *
 * The rotations use Rutishauser's update (g, h) -> (g - s (h + rho g), h + s (g - rho h)),
 * rho = s / (1 + c): algebraically the same as (c g - s h, s g + c h) but each entry
 * receives a small correction rather than being rebuilt from two large products; on
 * random 1..12 test matrices it cut the loss of orthogonality of V by 2 to 3 times.
 */
import { ConvergenceError, ShapeError } from './errors.js';
import { assertFinite, assertShape, assertSquare, Matrix } from './matrix.js';

const EPS = Number.EPSILON;
const MAX_SWEEPS = 100;

/**
 * Eigen-decompose the symmetric matrix A in place (A is destroyed; only its lower triangle
 * is read). Writes eigenvalues in ascending order to `w` (length n) and the matching
 * orthonormal eigenvectors to the COLUMNS of `V` (n x n). Returns the number of sweeps
 * used (a diagnostic; the rounding error grows with it). Allocation-free.
 * Throws {@link ShapeError}, {@link NonFiniteError}, {@link ConvergenceError} (not expected).
 */
export function symmetricEigenInPlace(A: Matrix, w: Float64Array, V: Matrix): number {
  const routine = 'symmetricEigenInPlace';
  const n = assertSquare(routine, A);
  assertShape(routine, V, n, n, 'V');
  if (w.length !== n) throw new ShapeError(routine, `w must have length ${n}, got ${w.length}`);
  if (V.data === A.data) throw new ShapeError(routine, 'V must not be A');
  assertFinite(routine, A.data, 'A');
  const a = A.data;
  const v = V.data;
  // Mirror the lower triangle so that A is exactly symmetric, and scale it by a power of
  // two (exact) so that max|a_ij| is about 1: then the sums of squares below can neither
  // overflow nor underflow, whatever the magnitude of A.
  let amax = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) amax = Math.max(amax, Math.abs(a[i * n + j]!));
  const scale = amax > 0 ? 2 ** Math.floor(Math.log2(amax)) : 1;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = a[i * n + j]! / scale;
      a[i * n + j] = x;
      a[j * n + i] = x;
      total += (i === j ? 1 : 2) * x * x;
    }
  }
  v.fill(0);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  // Stop when off(A)^2 <= (eps ||A||_F)^2.
  const target = EPS * EPS * total;

  let sweeps = -1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) off += 2 * a[i * n + j]! * a[i * n + j]!;
    if (off <= target) {
      sweeps = sweep;
      break;
    }
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const tau = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        // For |tau| > ~1e154 tau*tau overflows, t becomes 0 and the rotation is the
        // identity; a_pq is then negligible next to |a_qq - a_pp| and is zeroed below.
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        const rho = s / (1 + c);
        // Rows/columns p and q of A (A := J^T A J). The 2x2 block follows from the annihilation
        // condition: a_pp -= t a_pq, a_qq += t a_pq, a_pq = 0 exactly.
        for (let k = 0; k < n; k++) {
          if (k === p || k === q) continue;
          const g = a[k * n + p]!;
          const h = a[k * n + q]!;
          const gp = g - s * (h + rho * g);
          const hq = h + s * (g - rho * h);
          a[k * n + p] = gp;
          a[p * n + k] = gp;
          a[k * n + q] = hq;
          a[q * n + k] = hq;
        }
        a[p * n + p] -= t * apq;
        a[q * n + q] += t * apq;
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        // V := V J.
        for (let k = 0; k < n; k++) {
          const g = v[k * n + p]!;
          const h = v[k * n + q]!;
          v[k * n + p] = g - s * (h + rho * g);
          v[k * n + q] = h + s * (g - rho * h);
        }
      }
    }
  }
  if (sweeps < 0) {
    throw new ConvergenceError(routine, `Jacobi did not converge in ${MAX_SWEEPS} sweeps (${n}x${n})`);
  }
  for (let i = 0; i < n; i++) w[i] = a[i * n + i]! * scale;
  // Selection sort, ascending, moving eigenvector columns along (n <= 12: O(n^2) is nothing).
  for (let i = 0; i < n - 1; i++) {
    let m = i;
    for (let j = i + 1; j < n; j++) if (w[j]! < w[m]!) m = j;
    if (m === i) continue;
    const t = w[i]!;
    w[i] = w[m]!;
    w[m] = t;
    for (let k = 0; k < n; k++) {
      const u = v[k * n + i]!;
      v[k * n + i] = v[k * n + m]!;
      v[k * n + m] = u;
    }
  }
  return sweeps;
}

/** Scratch space for allocation-free eigen-decompositions and PSD projections of n x n matrices. */
export class EigenWorkspace {
  readonly n: number;
  /** Copy of the input, destroyed by the iteration. */
  readonly a: Matrix;
  /** Eigenvectors (columns) of the last decomposition. */
  readonly vectors: Matrix;
  /** Eigenvalues (ascending) of the last decomposition. */
  readonly values: Float64Array;
  /** Jacobi sweeps used by the last decomposition. */
  sweeps = 0;

  constructor(n: number) {
    this.n = n;
    this.a = new Matrix(n, n);
    this.vectors = new Matrix(n, n);
    this.values = new Float64Array(n);
  }

  /** Decompose the symmetric A (not modified; lower triangle read) into `values` and `vectors`. */
  decompose(A: Matrix): this {
    assertShape('EigenWorkspace.decompose', A, this.n, this.n, 'A');
    this.a.data.set(A.data);
    this.sweeps = symmetricEigenInPlace(this.a, this.values, this.vectors);
    return this;
  }
}

/**
 * out = V diag(max(w_i, minEigenvalue)) V^T: the nearest (in Frobenius norm) symmetric
 * matrix whose eigenvalues are all >= minEigenvalue (for minEigenvalue = 0, the projection
 * onto the PSD cone; Higham 1988). `out` may be A. The result is exactly symmetric.
 * Allocation-free given the workspace.
 */
export function projectPsdInto(out: Matrix, A: Matrix, ws: EigenWorkspace, minEigenvalue = 0): Matrix {
  const n = ws.n;
  assertShape('projectPsdInto', out, n, n, 'out');
  ws.decompose(A);
  const v = ws.vectors.data;
  const w = ws.values;
  const o = out.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += v[i * n + k]! * Math.max(w[k]!, minEigenvalue) * v[j * n + k]!;
      o[i * n + j] = s;
      o[j * n + i] = s;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Allocating conveniences
// ---------------------------------------------------------------------------

/** Eigenvalues (ascending) and eigenvectors (columns of `vectors`) of the symmetric A. */
export function symmetricEigen(A: Matrix): { values: Float64Array; vectors: Matrix; sweeps: number } {
  const n = assertSquare('symmetricEigen', A);
  const ws = new EigenWorkspace(n).decompose(A);
  return { values: ws.values, vectors: ws.vectors, sweeps: ws.sweeps };
}

/** Eigenvalues (ascending) of the symmetric A. */
export function symmetricEigenvalues(A: Matrix): Float64Array {
  return symmetricEigen(A).values;
}

/** A new projection of the symmetric A onto {X = X^T : eig(X) >= minEigenvalue}. */
export function projectPsd(A: Matrix, minEigenvalue = 0): Matrix {
  const n = assertSquare('projectPsd', A);
  return projectPsdInto(new Matrix(n, n), A, new EigenWorkspace(n), minEigenvalue);
}

/**
 * 2-norm condition number max|w| / min|w| of the symmetric A (Infinity if singular):
 * the diagnostic a solver logs when its regularization keeps growing.
 */
export function symmetricConditionNumber(A: Matrix): number {
  const w = symmetricEigenvalues(A);
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]!);
    lo = Math.min(lo, a);
    hi = Math.max(hi, a);
  }
  return w.length === 0 ? 1 : lo === 0 ? Infinity : hi / lo;
}
