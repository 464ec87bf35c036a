import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clone,
  fromRows,
  Matrix,
  NonFiniteError,
  ShapeError,
  SingularMatrixError,
  solveLowerInPlace,
  solveLowerMatrixInPlace,
  solveLowerTransposeInPlace,
  solveLowerTransposeMatrixInPlace,
  solveUpperInPlace,
  solveUpperMatrixInPlace,
  solveUpperTransposeInPlace,
  solveUpperTransposeMatrixInPlace,
} from '../../src/linalg/index.js';
import { allFinite, EPS, fcParams, fro, refAbs, refMatVec, refMul, refSub, refT, SEED, TestRng, vecSub } from './helpers.js';

/** A random triangular matrix with diagonal entries of magnitude in [1, 2] (well conditioned enough for these checks). */
function randomTriangular(rng: TestRng, n: number, lower: boolean, unit: boolean): Matrix {
  const T = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) T.set(i, i, unit ? 1 : (rng.uniform() < 0.5 ? -1 : 1) * (1 + rng.uniform()));
      else if (lower ? j < i : j > i) T.set(i, j, rng.normal() / n);
    }
  }
  return T;
}

const arb = fc.record({
  n: fc.integer({ min: 1, max: 12 }),
  k: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  unit: fc.boolean(),
});

describe(`triangular solves (seed ${SEED})`, () => {
  it('all eight variants: backward error |b - T x| <= c n eps |T||x| (Higham Thm 8.5)', () => {
    fc.assert(
      fc.property(arb, ({ n, k, seed, unit }) => {
        const rng = new TestRng(seed);
        const L = randomTriangular(rng, n, true, unit);
        const U = randomTriangular(rng, n, false, unit);
        // Store a junk value in the unused triangle: solves must read only their own triangle.
        // (For unit diagonal, the diagonal itself is junk.)
        const junk = (T: Matrix, lower: boolean) => {
          const J = clone(T);
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (lower ? j > i : j < i) J.set(i, j, 1e3);
          if (unit) for (let i = 0; i < n; i++) J.set(i, i, 7);
          return J;
        };
        const Lj = junk(L, true);
        const Uj = junk(U, false);
        const cases: Array<[Matrix, (b: Float64Array) => Float64Array, (B: Matrix) => Matrix]> = [
          [L, (b) => solveLowerInPlace(Lj, b, unit), (B) => solveLowerMatrixInPlace(Lj, B, unit)],
          [refT(L), (b) => solveLowerTransposeInPlace(Lj, b, unit), (B) => solveLowerTransposeMatrixInPlace(Lj, B, unit)],
          [U, (b) => solveUpperInPlace(Uj, b, unit), (B) => solveUpperMatrixInPlace(Uj, B, unit)],
          [refT(U), (b) => solveUpperTransposeInPlace(Uj, b, unit), (B) => solveUpperTransposeMatrixInPlace(Uj, B, unit)],
        ];
        for (const [T, solveVec, solveMat] of cases) {
          const b = rng.vector(n);
          const x = solveVec(b.slice());
          expect(allFinite(x)).toBe(true);
          expect(fro(vecSub(refMatVec(T, x), b))).toBeLessThanOrEqual(n * EPS * fro(refMatVec(refAbs(T), x.map(Math.abs))) + 1e-300);
          const B = rng.gaussian(n, k);
          const X = solveMat(clone(B));
          expect(fro(refSub(refMul(T, X), B))).toBeLessThanOrEqual(n * EPS * fro(refMul(refAbs(T), refAbs(X))) + 1e-300);
        }
      }),
      fcParams(200),
    );
  });

  it('zero diagonal: SingularMatrixError naming the pivot; NaN: NonFiniteError; shapes: ShapeError', () => {
    const L = fromRows([[1, 0, 0], [2, 0, 0], [1, 1, 1]]);
    let err: unknown;
    try {
      solveLowerInPlace(L, new Float64Array([1, 2, 3]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SingularMatrixError);
    expect((err as SingularMatrixError).pivot).toBe(1);
    expect(() => solveUpperMatrixInPlace(refT(L), new Matrix(3, 2))).toThrow(/solveUpperMatrixInPlace: matrix is singular to working precision at pivot 1/);
    expect(() => solveLowerInPlace(fromRows([[1, 0], [NaN, 1]]), new Float64Array([1, 1]))).toThrow(NonFiniteError);
    expect(() => solveUpperInPlace(fromRows([[1, 1], [0, 1]]), new Float64Array([Infinity, 1]))).toThrow(NonFiniteError);
    expect(() => solveLowerInPlace(new Matrix(2, 3), new Float64Array(2))).toThrow(ShapeError);
    expect(() => solveLowerInPlace(fromRows([[1, 0], [0, 1]]), new Float64Array(3))).toThrow(/length 3/);
    // Unit-diagonal solves ignore a zero diagonal.
    expect(Array.from(solveLowerInPlace(fromRows([[0, 0], [2, 0]]), new Float64Array([1, 3]), true))).toEqual([1, 1]);
  });
});
