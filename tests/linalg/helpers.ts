/**
 * Test helpers for src/linalg: a tiny deterministic PRNG, random matrices with a
 * prescribed spectrum (so that the condition number is KNOWN, independent of the code
 * under test), reference products, and the fast-check settings shared by the suites.
 *
 * Random orthogonal matrices are products of n Householder reflections built from
 * Gaussian vectors, formed here directly (not with src/linalg's QR), so that a test of
 * the QR code does not rely on the QR code to build its inputs.
 */
import fc from 'fast-check';
import { Matrix } from '../../src/linalg/index.js';

/** The fixed seed of every property in tests/linalg (printed in the test names). */
export const SEED = 20250117;
export const EPS = Number.EPSILON;

/** fast-check parameters: fixed seed, fixed number of runs. */
export const fcParams = (numRuns = 150): fc.Parameters<unknown> => ({ seed: SEED, numRuns });

/** Mulberry32: a 32-bit seeded PRNG, good enough to fill test matrices. */
export class TestRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  uniform(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    // Box–Muller.
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  vector(n: number): Float64Array {
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = this.normal();
    return x;
  }
  gaussian(m: number, n: number): Matrix {
    return new Matrix(m, n, this.vector(m * n));
  }
}

/** Reference product by the definition (no loop-order tricks). */
export function refMul(A: Matrix, B: Matrix): Matrix {
  const C = new Matrix(A.rows, B.cols);
  for (let i = 0; i < A.rows; i++) {
    for (let j = 0; j < B.cols; j++) {
      let s = 0;
      for (let k = 0; k < A.cols; k++) s += A.get(i, k) * B.get(k, j);
      C.set(i, j, s);
    }
  }
  return C;
}

export function refT(A: Matrix): Matrix {
  const T = new Matrix(A.cols, A.rows);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < A.cols; j++) T.set(j, i, A.get(i, j));
  return T;
}

export function refAbs(A: Matrix): Matrix {
  return new Matrix(A.rows, A.cols, A.data.map(Math.abs));
}

export function refSub(A: Matrix, B: Matrix): Matrix {
  return new Matrix(A.rows, A.cols, A.data.map((v, k) => v - B.data[k]!));
}

export function refIdentity(n: number): Matrix {
  const I = new Matrix(n, n);
  for (let i = 0; i < n; i++) I.set(i, i, 1);
  return I;
}

export function refDiag(d: ArrayLike<number>): Matrix {
  const D = new Matrix(d.length, d.length);
  for (let i = 0; i < d.length; i++) D.set(i, i, d[i]!);
  return D;
}

export function refMatVec(A: Matrix, x: Float64Array): Float64Array {
  const y = new Float64Array(A.rows);
  for (let i = 0; i < A.rows; i++) {
    let s = 0;
    for (let j = 0; j < A.cols; j++) s += A.get(i, j) * x[j]!;
    y[i] = s;
  }
  return y;
}

/** Frobenius norm, scaled by the largest entry so that 1e-200- or 1e200-sized matrices neither underflow nor overflow. */
export function fro(A: Matrix | Float64Array): number {
  const d = A instanceof Matrix ? A.data : A;
  let m = 0;
  for (const v of d) m = Math.max(m, Math.abs(v));
  if (m === 0 || !Number.isFinite(m)) return m;
  let s = 0;
  for (const v of d) s += (v / m) * (v / m);
  return m * Math.sqrt(s);
}

export function vecSub(x: Float64Array, y: Float64Array): Float64Array {
  return x.map((v, i) => v - y[i]!);
}

/** A random m x m orthogonal matrix: H_1 ... H_k with H = I - 2 v v^T / v^T v, v Gaussian. */
export function randomOrthogonal(rng: TestRng, m: number): Matrix {
  let Q = refIdentity(m);
  for (let r = 0; r < m; r++) {
    const v = rng.vector(m);
    const vv = v.reduce((s, x) => s + x * x, 0);
    if (vv === 0) continue;
    // Q := Q H = Q - (2 / vv) (Q v) v^T
    const Qv = refMatVec(Q, v);
    const next = new Matrix(m, m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) next.set(i, j, Q.get(i, j) - (2 / vv) * Qv[i]! * v[j]!);
    Q = next;
  }
  return Q;
}

/**
 * n positive values with max 1 and min 10^(-logCond), the rest log-uniform in between
 * (in random order), so the 2-norm condition number of U diag(s) V^T is 10^logCond.
 */
export function spectrum(rng: TestRng, n: number, logCond: number): Float64Array {
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) s[i] = 10 ** (-logCond * rng.uniform());
  if (n >= 1) s[0] = 1;
  if (n >= 2) s[n - 1] = 10 ** -logCond;
  // Shuffle so the extremes are not always in the same position.
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = s[i]!;
    s[i] = s[j]!;
    s[j] = t;
  }
  return s;
}

/** U diag(s) V^T (m x n, s of length min(m, n)). */
export function withSingularValues(rng: TestRng, m: number, n: number, s: Float64Array): Matrix {
  const U = randomOrthogonal(rng, m);
  const V = randomOrthogonal(rng, n);
  const S = new Matrix(m, n);
  for (let i = 0; i < Math.min(m, n); i++) S.set(i, i, s[i]!);
  return refMul(refMul(U, S), refT(V));
}

/** Q diag(lambda) Q^T, made exactly symmetric by mirroring the lower triangle. */
export function symmetricWithEigenvalues(rng: TestRng, lambda: Float64Array): Matrix {
  const n = lambda.length;
  const Q = randomOrthogonal(rng, n);
  const A = refMul(refMul(Q, refDiag(lambda)), refT(Q));
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A.set(j, i, A.get(i, j));
  return A;
}

/** A random SPD matrix with 2-norm condition number 10^logCond (eigenvalues in [10^-logCond, 1]). */
export function randomSpd(rng: TestRng, n: number, logCond: number): { A: Matrix; cond: number; lambda: Float64Array } {
  const lambda = spectrum(rng, n, logCond);
  return { A: symmetricWithEigenvalues(rng, lambda), cond: n === 1 ? 1 : 10 ** logCond, lambda };
}

/** A random general square matrix with condition number 10^logCond. */
export function randomGeneral(rng: TestRng, n: number, logCond: number): { A: Matrix; cond: number } {
  return { A: withSingularValues(rng, n, n, spectrum(rng, n, logCond)), cond: n === 1 ? 1 : 10 ** logCond };
}

/** Arbitrary for the common property inputs: size, a seed for TestRng, log10 of the condition number. */
export const caseArb = (maxN = 12, maxLogCond = 8) =>
  fc.record({
    n: fc.integer({ min: 1, max: maxN }),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
    logCond: fc.double({ min: 0, max: maxLogCond, noNaN: true }),
  });

/** Check that every entry is finite (the "no silent NaN" guard of the tests). */
export function allFinite(x: Float64Array | Matrix): boolean {
  const d = x instanceof Matrix ? x.data : x;
  return d.every(Number.isFinite);
}
