import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromRows,
  ldlt,
  LdltFactorization,
  ldltSolve,
  Matrix,
  NonFiniteError,
  ShapeError,
  SingularMatrixError,
} from '../../src/linalg/index.js';
import {
  allFinite,
  caseArb,
  EPS,
  fcParams,
  fro,
  refAbs,
  refMatVec,
  refMul,
  refSub,
  refT,
  SEED,
  spectrum,
  symmetricWithEigenvalues,
  TestRng,
  vecSub,
} from './helpers.js';

/** A symmetric matrix of a given kind; for 'spectral' the eigenvalues (and so the inertia and cond) are known. */
function symmetricCase(kind: number, n: number, seed: number, logCond: number) {
  const rng = new TestRng(seed);
  if (kind === 0) {
    // Known spectrum with random signs: indefinite, cond = 10^logCond.
    const lambda = spectrum(rng, n, logCond).map((v) => (rng.uniform() < 0.5 ? -v : v));
    return { A: symmetricWithEigenvalues(rng, lambda), lambda, cond: n === 1 ? 1 : 10 ** logCond };
  }
  const A = rng.gaussian(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      // kind 1: Gaussian symmetric; kind 2: zero diagonal (forces 2x2 pivots).
      const v = kind === 2 && i === j ? 0 : A.get(i, j);
      A.set(i, j, v);
      A.set(j, i, v);
    }
  }
  return { A, lambda: undefined, cond: undefined };
}

const arb = fc.tuple(caseArb(), fc.integer({ min: 0, max: 2 }));

describe(`LDL^T with Bunch-Kaufman pivoting (seed ${SEED})`, () => {
  it('P A P^T = L D L^T: L unit lower, D 1x1/2x2 blocks', () => {
    let twoByTwo = 0;
    fc.assert(
      fc.property(arb, ([{ n, seed, logCond }, kind]) => {
        const { A } = symmetricCase(kind, n, seed, logCond);
        const f = ldlt(A);
        const L = f.lower();
        const D = f.blockDiagonal();
        const P = f.permutation();
        for (let i = 0; i < n; i++) {
          expect(L.get(i, i)).toBe(1);
          for (let j = i + 1; j < n; j++) expect(L.get(i, j)).toBe(0);
        }
        // Bunch-Kaufman bounds the element growth in the Schur complements, not |L| itself
        // (Higham §11.1.1), hence the |L||D||L^T| term in the backward-error bound below.
        for (let k = 0; k < n; k++) if (f.blockSize[k] === 2) twoByTwo++;
        const PAPt = refMul(refMul(P, A), refT(P));
        const LDLt = refMul(refMul(L, D), refT(L));
        // Higham Thm 11.3: |dA| <= p(n) u (|A| + P^T |L||D||L^T| P), with p(n) linear for small n.
        const bound = 2 * n * EPS * (fro(A) + fro(refMul(refMul(refAbs(L), refAbs(D)), refAbs(refT(L)))));
        expect(fro(refSub(LDLt, PAPt))).toBeLessThanOrEqual(bound);
      }),
      fcParams(300),
    );
    expect(twoByTwo).toBeGreaterThan(0);
  });

  it('inertia of a matrix with known spectrum (Sylvester): counts of positive and negative eigenvalues', () => {
    fc.assert(
      fc.property(caseArb(), ({ n, seed, logCond }) => {
        const { A, lambda } = symmetricCase(0, n, seed, logCond);
        const inertia = ldlt(A).inertia();
        expect(inertia.positive).toBe(lambda!.filter((v) => v > 0).length);
        expect(inertia.negative).toBe(lambda!.filter((v) => v < 0).length);
        expect(inertia.zero).toBe(0);
      }),
      fcParams(200),
    );
  });

  it('solves A x = b for indefinite A: forward error <= c n eps cond * growth', () => {
    fc.assert(
      fc.property(caseArb(), ({ n, seed, logCond }) => {
        const { A, cond } = symmetricCase(0, n, seed, logCond);
        const rng = new TestRng(seed ^ 0x9e3779b9);
        const xTrue = rng.vector(n);
        const b = refMatVec(A, xTrue);
        const f = new LdltFactorization(n).factor(A);
        const x = f.solveInPlace(b.slice());
        expect(allFinite(x)).toBe(true);
        const LDL = refMul(refMul(refAbs(f.lower()), refAbs(f.blockDiagonal())), refAbs(refT(f.lower())));
        const growth = fro(LDL) / fro(A);
        expect(fro(vecSub(refMatVec(A, x), b))).toBeLessThanOrEqual(8 * n * EPS * (fro(A) + fro(LDL)) * fro(x));
        expect(fro(vecSub(x, xTrue)) / fro(xTrue)).toBeLessThanOrEqual(8 * n * EPS * cond! * (1 + growth));
        expect(Array.from(ldltSolve(A, b))).toEqual(Array.from(x));
      }),
      fcParams(300),
    );
  });

  it('needs a 2x2 pivot where no 1x1 pivot exists: [[0, 1], [1, 0]]', () => {
    const f = ldlt(fromRows([[0, 1], [1, 0]]));
    expect(f.blockSize[0]).toBe(2);
    expect(f.inertia()).toEqual({ positive: 1, negative: 1, zero: 0 });
    expect(Array.from(f.solveInPlace(new Float64Array([2, 3])))).toEqual([3, 2]);
  });
});

describe(`LDL^T: bad input (seed ${SEED})`, () => {
  it('singular (an exactly zero row and column): inertia reports the zero, solve throws SingularMatrixError', () => {
    fc.assert(
      fc.property(caseArb(), fc.nat(), ({ n, seed, logCond }, z) => {
        const { A } = symmetricCase(0, n, seed, logCond);
        const j = z % n;
        for (let k = 0; k < n; k++) {
          A.set(j, k, 0);
          A.set(k, j, 0);
        }
        const f = ldlt(A);
        expect(f.inertia().zero).toBe(1);
        expect(() => f.solveInPlace(new Float64Array(n).fill(1))).toThrow(SingularMatrixError);
      }),
      fcParams(150),
    );
  });

  it('NaN / Infinity: NonFiniteError; non-square or mismatched: ShapeError', () => {
    expect(() => ldlt(fromRows([[1, NaN], [NaN, 1]]))).toThrow(NonFiniteError);
    expect(() => ldlt(fromRows([[1, 0], [Infinity, 1]]))).toThrow(/LdltFactorization.factor: A contains a non-finite value/);
    expect(() => ldlt(new Matrix(2, 3))).toThrow(ShapeError);
    const f = ldlt(fromRows([[1, 2], [2, 1]]));
    expect(() => f.solveInPlace(new Float64Array(3))).toThrow(ShapeError);
    expect(() => f.solveInPlace(new Float64Array([NaN, 1]))).toThrow(NonFiniteError);
  });
});
