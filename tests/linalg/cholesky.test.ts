import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cholesky,
  choleskyInPlace,
  choleskyLogDet,
  choleskySolve,
  choleskySolveInPlace,
  choleskySolveMatrixInPlace,
  clone,
  fromRows,
  Matrix,
  NonFiniteError,
  NotPositiveDefiniteError,
  ShapeError,
  tryCholeskyInPlace,
  LinalgError,
} from '../../src/linalg/index.js';
import {
  allFinite,
  caseArb,
  EPS,
  fcParams,
  fro,
  randomSpd,
  refAbs,
  refMatVec,
  refMul,
  refSub,
  refT,
  SEED,
  TestRng,
  vecSub,
} from './helpers.js';

describe(`Cholesky (seed ${SEED})`, () => {
  it('L L^T = A with L lower triangular, positive diagonal; n = 1..12, cond up to 1e8', () => {
    fc.assert(
      fc.property(caseArb(), ({ n, seed, logCond }) => {
        const { A } = randomSpd(new TestRng(seed), n, logCond);
        const L = cholesky(A);
        for (let i = 0; i < n; i++) {
          expect(L.get(i, i)).toBeGreaterThan(0);
          for (let j = i + 1; j < n; j++) expect(L.get(i, j)).toBe(0);
        }
        // Higham, Thm 10.3: L L^T = A + dA, |dA| <= gamma_{n+1} |L| |L^T|; gamma_k ~ k u = k eps / 2.
        const err = fro(refSub(refMul(L, refT(L)), A));
        expect(err).toBeLessThanOrEqual((n + 1) * EPS * fro(refMul(refAbs(L), refAbs(refT(L)))));
      }),
      fcParams(300),
    );
  });

  it('solves A x = b: backward error ~ n eps, forward error ~ n eps cond', () => {
    fc.assert(
      fc.property(caseArb(), ({ n, seed, logCond }) => {
        const rng = new TestRng(seed);
        const { A, cond } = randomSpd(rng, n, logCond);
        const xTrue = rng.vector(n);
        const b = refMatVec(A, xTrue);
        const L = cholesky(A);
        const x = choleskySolveInPlace(L, b.slice());
        expect(allFinite(x)).toBe(true);
        // Higham Thm 10.4: (A + dA) x = b with |dA| <= gamma_{3n+1} |L||L^T|.
        const residual = fro(vecSub(refMatVec(A, x), b));
        expect(residual).toBeLessThanOrEqual((3 * n + 1) * EPS * fro(refMul(refAbs(L), refAbs(refT(L)))) * fro(x));
        // Forward error: cond * (backward error) plus the rounding in forming b.
        expect(fro(vecSub(x, xTrue)) / fro(xTrue)).toBeLessThanOrEqual(4 * n * EPS * cond);
        // The allocating convenience agrees bit for bit.
        expect(Array.from(choleskySolve(A, b))).toEqual(Array.from(x));
      }),
      fcParams(300),
    );
  });

  it('solves with a matrix right-hand side', () => {
    fc.assert(
      fc.property(caseArb(), fc.integer({ min: 1, max: 5 }), ({ n, seed, logCond }, k) => {
        const rng = new TestRng(seed);
        const { A, cond } = randomSpd(rng, n, logCond);
        const X = rng.gaussian(n, k);
        const B = refMul(A, X);
        const Y = choleskySolveMatrixInPlace(cholesky(A), clone(B));
        expect(fro(refSub(Y, X)) / fro(X)).toBeLessThanOrEqual(4 * n * EPS * cond);
      }),
      fcParams(150),
    );
  });

  it('log det from the factor', () => {
    const A = fromRows([[4, 2], [2, 3]]);
    expect(choleskyLogDet(cholesky(A))).toBeCloseTo(Math.log(8), 14);
  });
});

describe(`Cholesky: bad input (seed ${SEED})`, () => {
  it('indefinite matrices: NotPositiveDefiniteError with the first failing pivot; tryCholesky returns it', () => {
    fc.assert(
      fc.property(caseArb(), fc.integer({ min: 0, max: 11 }), ({ n, seed, logCond }, k0) => {
        const rng = new TestRng(seed);
        const { A } = randomSpd(rng, n, logCond);
        // Make the leading (k+1)x(k+1) minor indefinite while the leading k x k stays PD:
        // subtract a large multiple of e_k e_k^T. Pivot k becomes negative; earlier ones are unchanged.
        const k = k0 % n;
        A.set(k, k, A.get(k, k) - 10);
        let caught: unknown;
        try {
          cholesky(A);
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(NotPositiveDefiniteError);
        expect(caught).toBeInstanceOf(LinalgError);
        const err = caught as NotPositiveDefiniteError;
        expect(err.pivot).toBe(k);
        expect(err.value).toBeLessThan(0);
        expect(err.message).toContain(`cholesky: ${n}x${n} matrix is not positive definite: pivot ${k}`);
        const W = clone(A);
        expect(tryCholeskyInPlace(W)).toBe(k);
        expect(W.get(k, k)).toBe(err.value);
      }),
      fcParams(150),
    );
  });

  it('semidefinite and negative definite matrices fail at the right pivot', () => {
    expect(tryCholeskyInPlace(fromRows([[1, 1], [1, 1]]))).toBe(1);
    expect(tryCholeskyInPlace(fromRows([[0, 0], [0, 1]]))).toBe(0);
    expect(tryCholeskyInPlace(fromRows([[-1]]))).toBe(0);
    expect(tryCholeskyInPlace(fromRows([[2, 0], [0, 3]]))).toBe(-1);
  });

  it('NaN or Infinity anywhere in the lower triangle: NonFiniteError, never a NaN factor', () => {
    fc.assert(
      fc.property(
        caseArb(12, 4),
        fc.nat(),
        fc.nat(),
        fc.constantFrom(NaN, Infinity, -Infinity),
        ({ n, seed, logCond }, i0, j0, bad) => {
          const { A } = randomSpd(new TestRng(seed), n, logCond);
          const i = i0 % n;
          const j = j0 % (i + 1);
          A.set(i, j, bad);
          expect(() => cholesky(A)).toThrow(NonFiniteError);
          const W = clone(A);
          const k = tryCholeskyInPlace(W);
          expect(k).toBeGreaterThanOrEqual(0);
          expect(Number.isFinite(W.get(k, k))).toBe(false);
        },
      ),
      fcParams(200),
    );
  });

  it('NaN in the right-hand side: NonFiniteError from the solve', () => {
    const L = cholesky(fromRows([[4, 2], [2, 3]]));
    expect(() => choleskySolveInPlace(L, new Float64Array([1, NaN]))).toThrow(NonFiniteError);
  });

  it('non-square and mismatched shapes: ShapeError', () => {
    expect(() => choleskyInPlace(new Matrix(2, 3))).toThrow(ShapeError);
    expect(() => tryCholeskyInPlace(new Matrix(3, 2))).toThrow(/must be square, got 3x2/);
    const L = cholesky(fromRows([[4, 2], [2, 3]]));
    expect(() => choleskySolveInPlace(L, new Float64Array(3))).toThrow(/choleskySolveInPlace: factor is 2x2, right-hand side has length 3/);
    expect(() => choleskySolveMatrixInPlace(L, new Matrix(3, 1))).toThrow(ShapeError);
  });
});
