import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromRows,
  leastSquares,
  Matrix,
  NonFiniteError,
  qr,
  QrFactorization,
  ShapeError,
  SingularMatrixError,
} from '../../src/linalg/index.js';
import {
  allFinite,
  EPS,
  fcParams,
  fro,
  refIdentity,
  refMatVec,
  refMul,
  refSub,
  refT,
  SEED,
  spectrum,
  TestRng,
  vecSub,
  withSingularValues,
} from './helpers.js';

const shapeArb = fc.record({
  m: fc.integer({ min: 1, max: 12 }),
  n: fc.integer({ min: 1, max: 12 }),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  logCond: fc.double({ min: 0, max: 8, noNaN: true }),
  gaussian: fc.boolean(),
});

/** A tall (m >= n) test matrix with known singular values, or a Gaussian one. */
function tallCase(m: number, n: number, seed: number, logCond: number, gaussian: boolean) {
  const rng = new TestRng(seed);
  if (gaussian) return { rng, A: rng.gaussian(m, n), cond: undefined };
  const r = Math.min(m, n);
  return { rng, A: withSingularValues(rng, m, n, spectrum(rng, r, logCond)), cond: r === 1 ? 1 : 10 ** logCond };
}

describe(`Householder QR (seed ${SEED})`, () => {
  it('Q R = A with Q orthogonal (thin and full), R upper triangular; any m, n in 1..12', () => {
    fc.assert(
      fc.property(shapeArb, ({ m, n, seed, logCond, gaussian }) => {
        const { A } = tallCase(m, n, seed, logCond, gaussian);
        const f = qr(A);
        const r = Math.min(m, n);
        const size = Math.max(m, n);
        for (const full of [false, true]) {
          const Q = f.q(full);
          const R = f.R(full);
          expect(Q.rows).toBe(m);
          expect(Q.cols).toBe(full ? m : r);
          for (let i = 0; i < R.rows; i++) for (let j = 0; j < Math.min(i, n); j++) expect(R.get(i, j)).toBe(0);
          // Higham Thm 19.4 / Lemma 19.3: backward error and loss of orthogonality are bounded by
          // gamma(c m r)-sized terms in the worst case; we test the much smaller c max(m, n) eps
          // with c = 4 (over 3000 random Gaussian cases the worst observed c was 1.0 and 1.6).
          expect(fro(refSub(refMul(Q, R), A))).toBeLessThanOrEqual(4 * size * EPS * fro(A));
          expect(fro(refSub(refMul(refT(Q), Q), refIdentity(Q.cols)))).toBeLessThanOrEqual(4 * size * EPS);
        }
      }),
      fcParams(300),
    );
  });

  it('least squares, consistent tall systems: forward error <= c n eps cond', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(6), ({ n, seed, logCond, gaussian }, extra) => {
        const m = n + extra;
        const { rng, A, cond } = tallCase(m, n, seed, logCond, gaussian);
        const xTrue = rng.vector(n);
        const b = refMatVec(A, xTrue);
        const x = new QrFactorization(m, n).factor(A).solveLeastSquaresInto(new Float64Array(n), b);
        expect(allFinite(x)).toBe(true);
        if (cond !== undefined) {
          expect(fro(vecSub(x, xTrue)) / fro(xTrue)).toBeLessThanOrEqual(4 * m * EPS * cond);
        }
        expect(fro(vecSub(refMatVec(A, x), b))).toBeLessThanOrEqual(4 * m * EPS * fro(A) * fro(x));
      }),
      fcParams(300),
    );
  });

  it('least squares, inconsistent systems: the residual is orthogonal to range(A) and matches residualNorm', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(6), ({ n, seed, logCond, gaussian }, extra) => {
        const m = n + extra;
        const { rng, A } = tallCase(m, n, seed, logCond, gaussian);
        const b = rng.vector(m);
        const f = qr(A);
        const x = f.solveLeastSquaresInto(new Float64Array(n), b);
        const r = vecSub(b, refMatVec(A, x));
        // Normal equations A^T r = 0, up to backward-error-sized terms.
        const scale = fro(A) * (fro(A) * fro(x) + fro(b));
        expect(fro(refMatVec(refT(A), r))).toBeLessThanOrEqual(4 * m * EPS * scale);
        expect(Math.abs(f.residualNorm(b) - fro(r))).toBeLessThanOrEqual(4 * m * EPS * (fro(A) * fro(x) + fro(b)));
        expect(Array.from(leastSquares(A, b))).toEqual(Array.from(x));
      }),
      fcParams(200),
    );
  });

  it('applyQ and applyQt are inverse to each other and match the formed Q', () => {
    const rng = new TestRng(7);
    const A = rng.gaussian(7, 4);
    const f = qr(A);
    const v = rng.vector(7);
    const Qv = f.applyQInPlace(v.slice());
    expect(fro(vecSub(Qv, refMatVec(f.q(true), v)))).toBeLessThanOrEqual(20 * EPS * fro(v));
    expect(fro(vecSub(f.applyQtInPlace(Qv), v))).toBeLessThanOrEqual(20 * EPS * fro(v));
  });

  it('a column that is already a multiple of e_1 gets H = I; the reflector maps to -sign(x_1) ||x|| e_1', () => {
    const f = qr(fromRows([[-2, 1], [0, 3], [0, 4]]));
    expect(f.beta[0]).toBe(0);
    expect(f.R().toArray()).toEqual([[-2, 1], [0, -5]]);
    expect(fro(refSub(refMul(f.q(), f.R()), fromRows([[-2, 1], [0, 3], [0, 4]])))).toBeLessThanOrEqual(10 * EPS);
  });
});

describe(`QR: bad input (seed ${SEED})`, () => {
  it('rank deficient (a zero column): SingularMatrixError naming the column', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(6), fc.nat(), ({ n, seed, logCond, gaussian }, extra, z) => {
        const m = n + extra;
        const { rng, A } = tallCase(m, n, seed, logCond, gaussian);
        const j = z % n;
        for (let i = 0; i < m; i++) A.set(i, j, 0);
        let err: unknown;
        try {
          leastSquares(A, rng.vector(m));
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(SingularMatrixError);
        expect((err as SingularMatrixError).pivot).toBeLessThanOrEqual(j);
      }),
      fcParams(150),
    );
  });

  it('rank deficient up to rounding: SingularMatrixError or a finite, backward-stable answer', () => {
    let thrown = 0;
    fc.assert(
      fc.property(shapeArb, fc.nat(6), fc.nat(), ({ n, seed, logCond }, extra, z) => {
        const m = n + extra;
        const rng = new TestRng(seed);
        const s = spectrum(rng, n, Math.min(logCond, 4));
        s[z % n] = 0;
        const A = withSingularValues(rng, m, n, s);
        const b = refMatVec(A, rng.vector(n));
        try {
          const x = leastSquares(A, b);
          expect(allFinite(x)).toBe(true);
          expect(fro(vecSub(refMatVec(A, x), b))).toBeLessThanOrEqual(4 * m * EPS * fro(A) * fro(x));
        } catch (e) {
          expect(e).toBeInstanceOf(SingularMatrixError);
          thrown++;
        }
      }),
      fcParams(150),
    );
    expect(thrown).toBeGreaterThan(0);
  });

  it('wide systems, NaN and mismatched shapes', () => {
    expect(() => leastSquares(new Matrix(2, 3, new Float64Array([1, 2, 3, 4, 5, 6])), new Float64Array(2))).toThrow(
      /solveLeastSquaresInto: needs a tall or square matrix \(m >= n\), got 2x3/,
    );
    expect(() => qr(fromRows([[1, NaN], [0, 1]]))).toThrow(NonFiniteError);
    expect(() => leastSquares(fromRows([[1, 0], [0, 1], [1, 1]]), new Float64Array(2))).toThrow(ShapeError);
    expect(() => leastSquares(fromRows([[1, 0], [0, 1], [1, 1]]), new Float64Array([1, Infinity, 0]))).toThrow(NonFiniteError);
    expect(() => new QrFactorization(3, 2).factor(new Matrix(2, 3))).toThrow(ShapeError);
  });
});
