import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clone,
  determinant,
  fromRows,
  inverse,
  lu,
  luInPlace,
  LuFactorization,
  luSolve,
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
  randomGeneral,
  refAbs,
  refIdentity,
  refMatVec,
  refMul,
  refSub,
  SEED,
  spectrum,
  TestRng,
  vecSub,
  withSingularValues,
} from './helpers.js';

function permutationMatrix(perm: Int32Array): Matrix {
  const n = perm.length;
  const P = new Matrix(n, n);
  for (let i = 0; i < n; i++) P.set(i, perm[i]!, 1);
  return P;
}

describe(`LU with partial pivoting (seed ${SEED})`, () => {
  it('L U = P A, |l_ij| <= 1, P a permutation with det P = sign', () => {
    fc.assert(
      fc.property(caseArb(), fc.boolean(), ({ n, seed, logCond }, gaussian) => {
        const rng = new TestRng(seed);
        const A = gaussian ? rng.gaussian(n, n) : randomGeneral(rng, n, logCond).A;
        const f = lu(A);
        const L = f.lower();
        const U = f.upper();
        const P = permutationMatrix(f.perm);
        expect([...f.perm].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
        for (const v of L.data) expect(Math.abs(v)).toBeLessThanOrEqual(1);
        // Higham Thm 9.3: L U = P A + dA, |dA| <= gamma_n |L| |U|.
        expect(fro(refSub(refMul(L, U), refMul(P, A)))).toBeLessThanOrEqual(n * EPS * fro(refMul(refAbs(L), refAbs(U))));
        // sign = det P: count inversions.
        let inv = 0;
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (f.perm[i]! > f.perm[j]!) inv++;
        expect(f.sign).toBe(inv % 2 === 0 ? 1 : -1);
      }),
      fcParams(300),
    );
  });

  it('solves A x = b and A X = B: forward error <= c n eps cond', () => {
    fc.assert(
      fc.property(caseArb(), fc.integer({ min: 1, max: 4 }), ({ n, seed, logCond }, k) => {
        const rng = new TestRng(seed);
        const { A, cond } = randomGeneral(rng, n, logCond);
        const xTrue = rng.vector(n);
        const b = refMatVec(A, xTrue);
        const f = new LuFactorization(n).factor(A);
        const x = f.solveInPlace(b.slice());
        expect(allFinite(x)).toBe(true);
        // Backward error (Higham Thm 9.4): |dA| <= gamma_{3n} |L||U|.
        const LU = refMul(refAbs(f.lower()), refAbs(f.upper()));
        expect(fro(vecSub(refMatVec(A, x), b))).toBeLessThanOrEqual(3 * n * EPS * fro(LU) * fro(x));
        expect(fro(vecSub(x, xTrue)) / fro(xTrue)).toBeLessThanOrEqual(4 * n * EPS * cond * (fro(LU) / fro(A)));
        expect(Array.from(luSolve(A, b))).toEqual(Array.from(x));
        const X = rng.gaussian(n, k);
        const Y = f.solveMatrixInPlace(refMul(A, X));
        expect(fro(refSub(Y, X)) / fro(X)).toBeLessThanOrEqual(4 * n * EPS * cond * (fro(LU) / fro(A)));
      }),
      fcParams(300),
    );
  });

  it('inverse: A A^{-1} = I to c n eps cond; determinant = product of singular values up to sign', () => {
    fc.assert(
      fc.property(caseArb(12, 6), ({ n, seed, logCond }) => {
        const rng = new TestRng(seed);
        const s = spectrum(rng, n, logCond);
        const A = withSingularValues(rng, n, n, s);
        const cond = n === 1 ? 1 : 10 ** logCond;
        const Ainv = inverse(A);
        expect(fro(refSub(refMul(A, Ainv), refIdentity(n)))).toBeLessThanOrEqual(4 * n * EPS * cond * Math.sqrt(n));
        // |det A| = prod s_i (orthogonal factors have |det| = 1).
        const absDet = s.reduce((p, v) => p * v, 1);
        expect(Math.abs(Math.abs(determinant(A)) - absDet) / absDet).toBeLessThanOrEqual(4 * n * EPS * cond);
      }),
      fcParams(200),
    );
  });

  it('small exact examples', () => {
    expect(determinant(fromRows([[0, 1], [1, 0]]))).toBe(-1);
    expect(determinant(fromRows([[2, 0], [0, 3]]))).toBe(6);
    expect(determinant(fromRows([[1, 2], [2, 4]]))).toBe(0);
    expect(Array.from(inverse(fromRows([[0, 2], [4, 0]])).data)).toEqual([0, 0.25, 0.5, 0]);
  });
});

describe(`LU: bad input (seed ${SEED})`, () => {
  it('exactly singular (a row is a power-of-two multiple of another, or zero): exact zero pivot, SingularMatrixError', () => {
    fc.assert(
      fc.property(caseArb(12, 4).filter((c) => c.n >= 2), fc.nat(), fc.nat(), fc.constantFrom(0, 0.5, 2, -4), ({ n, seed, logCond }, i0, j0, c) => {
        const rng = new TestRng(seed);
        const A = randomGeneral(rng, n, logCond).A;
        const i = i0 % n;
        const j = (i + 1 + (j0 % (n - 1))) % n;
        // Scaling by a power of two is exact, and it commutes with rounding, so the two rows
        // stay exactly proportional through elimination and one of them becomes exactly 0.
        for (let k = 0; k < n; k++) A.set(j, k, c * A.get(i, k));
        const f = lu(A);
        expect(f.determinant()).toBe(0);
        expect(f.singularPivot).toBeGreaterThanOrEqual(0);
        expect(() => f.solveInPlace(rng.vector(n))).toThrow(SingularMatrixError);
        expect(() => f.solveMatrixInPlace(rng.gaussian(n, 2))).toThrow(SingularMatrixError);
        expect(() => inverse(A)).toThrow(SingularMatrixError);
        expect(() => luSolve(A, rng.vector(n))).toThrow(/LuFactorization.solveInPlace: matrix is singular to working precision at pivot/);
      }),
      fcParams(200),
    );
  });

  it('singular up to rounding (U diag(s) V^T with a zero s_i): SingularMatrixError, or a finite backward-stable solution', () => {
    // Formed in floating point, such a matrix is nonsingular with sigma_min ~ n eps ||A||,
    // right at the n eps max|U| tolerance: either outcome is legitimate, NaN is not.
    let thrown = 0;
    fc.assert(
      fc.property(caseArb(12, 4), fc.nat(), ({ n, seed, logCond }, z) => {
        const rng = new TestRng(seed);
        const s = spectrum(rng, n, logCond);
        s[z % n] = 0;
        const A = withSingularValues(rng, n, n, s);
        const f = lu(A);
        const b = rng.vector(n);
        try {
          const x = f.solveInPlace(b.slice());
          expect(allFinite(x)).toBe(true);
          const LU = refMul(refAbs(f.lower()), refAbs(f.upper()));
          expect(fro(vecSub(refMatVec(A, x), b))).toBeLessThanOrEqual(3 * n * EPS * fro(LU) * fro(x));
        } catch (e) {
          expect(e).toBeInstanceOf(SingularMatrixError);
          thrown++;
        }
      }),
      fcParams(200),
    );
    expect(thrown).toBeGreaterThan(0);
  });

  it('the tolerance n eps max|U|, at its edge', () => {
    expect(() => luSolve(fromRows([[1, 1], [1, 1 + EPS]]), new Float64Array([1, 1]))).toThrow(SingularMatrixError);
    const x = luSolve(fromRows([[1, 1], [1, 1 + 4 * EPS]]), new Float64Array([1, 1]));
    expect(allFinite(x)).toBe(true);
  });

  it('zero matrix and zero column', () => {
    expect(() => luSolve(new Matrix(3, 3), new Float64Array(3))).toThrow(SingularMatrixError);
    const A = fromRows([[1, 0, 2], [3, 0, 4], [5, 0, 6]]);
    const f = lu(A);
    expect(f.determinant()).toBe(0);
    let err: unknown;
    try {
      f.solveInPlace(new Float64Array([1, 2, 3]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SingularMatrixError);
    expect((err as SingularMatrixError).pivot).toBe(1);
  });

  it('NaN / Infinity: NonFiniteError; non-square and mismatched: ShapeError', () => {
    expect(() => lu(fromRows([[1, NaN], [0, 1]]))).toThrow(NonFiniteError);
    expect(() => lu(fromRows([[1, 2], [Infinity, 1]]))).toThrow(/luInPlace: A contains a non-finite value \(Infinity\)/);
    expect(() => lu(new Matrix(2, 3))).toThrow(ShapeError);
    expect(() => luInPlace(new Matrix(2, 2), new Int32Array(3))).toThrow(ShapeError);
    const f = lu(fromRows([[2, 1], [1, 3]]));
    expect(() => f.solveInPlace(new Float64Array(3))).toThrow(ShapeError);
    expect(() => f.solveInPlace(new Float64Array([1, NaN]))).toThrow(NonFiniteError);
    expect(() => f.inverseInto(new Matrix(3, 3))).toThrow(ShapeError);
    expect(() => new LuFactorization(2).factor(clone(new Matrix(3, 3)))).toThrow(/must be 2x2, got 3x3/);
  });
});
