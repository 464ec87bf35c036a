import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addInto,
  addScaledIdentity,
  copyInto,
  fromRows,
  identity,
  Matrix,
  matrixView,
  mul,
  mulAcc,
  mulABt,
  mulABtAcc,
  mulAtB,
  mulAtBAcc,
  mulAtBSymmetricAcc,
  mulAtVec,
  mulAtVecAcc,
  mulVec,
  mulVecAcc,
  norm2,
  scaleInto,
  setIdentity,
  ShapeError,
  symmetrize,
  transposeInto,
  assertFinite,
  NonFiniteError,
} from '../../src/linalg/index.js';
import { EPS, fcParams, fro, refMatVec, refMul, refSub, refT, SEED, TestRng } from './helpers.js';

const dims = fc.record({
  m: fc.integer({ min: 1, max: 12 }),
  k: fc.integer({ min: 1, max: 12 }),
  n: fc.integer({ min: 1, max: 12 }),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
});

/** |fl(A B) - A B| <= k eps |A| |B| entrywise (GVL §2.7.8); in Frobenius norm, bounded by k eps ||A|| ||B||. */
function closeProduct(C: Matrix, R: Matrix, A: Matrix, B: Matrix, k: number): void {
  expect(fro(refSub(C, R))).toBeLessThanOrEqual(2 * k * EPS * fro(A) * fro(B) + 1e-300);
}

describe(`matrix products (seed ${SEED})`, () => {
  it('mul, mulAtB, mulABt and their Acc variants match the definition', () => {
    fc.assert(
      fc.property(dims, ({ m, k, n, seed }) => {
        const rng = new TestRng(seed);
        const A = rng.gaussian(m, k);
        const B = rng.gaussian(k, n);
        const C0 = rng.gaussian(m, n);
        const AB = refMul(A, B);

        closeProduct(mul(new Matrix(m, n), A, B), AB, A, B, k);
        closeProduct(mulAtB(new Matrix(m, n), refT(A), B), AB, A, B, k);
        closeProduct(mulABt(new Matrix(m, n), A, refT(B)), AB, A, B, k);

        // C += alpha A B, all three forms.
        const alpha = -0.75;
        const expected = new Matrix(m, n, C0.data.map((c, i) => c + alpha * AB.data[i]!));
        const scaleA = new Matrix(m, k, A.data.map((v) => Math.abs(alpha) * v));
        for (const C of [
          mulAcc(new Matrix(m, n, C0.data.slice()), A, B, alpha),
          mulAtBAcc(new Matrix(m, n, C0.data.slice()), refT(A), B, alpha),
          mulABtAcc(new Matrix(m, n, C0.data.slice()), A, refT(B), alpha),
        ]) {
          expect(fro(refSub(C, expected))).toBeLessThanOrEqual(2 * (k + 1) * EPS * (fro(scaleA) * fro(B) + fro(C0)));
        }
      }),
      fcParams(200),
    );
  });

  it('mulAtBSymmetricAcc: A^T S A + C for symmetric S and C, as the definition, exactly symmetric', () => {
    fc.assert(
      fc.property(dims, ({ k, n, seed }) => {
        const rng = new TestRng(seed);
        const A = rng.gaussian(k, n);
        const G = rng.gaussian(k, k);
        const S = new Matrix(k, k, refMul(G, refT(G)).data); // symmetric
        const H = rng.gaussian(n, n);
        const C0 = new Matrix(n, n, refMul(H, refT(H)).data);
        const SA = refMul(S, A);
        const expected = refMul(refT(A), SA);
        const C = mulAtBSymmetricAcc(new Matrix(n, n, C0.data.slice()), A, SA);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(C.data[i * n + j]).toBe(C.data[j * n + i]);
        expect(fro(refSub(refSub(C, C0), expected))).toBeLessThanOrEqual(2 * (k + 1) * EPS * (fro(A) * fro(SA) + fro(C0)));
      }),
      fcParams(200),
    );
    expect(() => mulAtBSymmetricAcc(new Matrix(3, 4), new Matrix(2, 3), new Matrix(2, 4))).toThrow(ShapeError);
  });

  it('mulVec, mulAtVec and their Acc variants match the definition', () => {
    fc.assert(
      fc.property(dims, ({ m, n, seed }) => {
        const rng = new TestRng(seed);
        const A = rng.gaussian(m, n);
        const x = rng.vector(n);
        const z = rng.vector(m);
        const y0 = rng.vector(m);
        const bound = (v: Float64Array) => 2 * (n + m) * EPS * fro(A) * (fro(v) + 1);
        expect(fro(refSub(new Matrix(m, 1, mulVec(new Float64Array(m), A, x)), new Matrix(m, 1, refMatVec(A, x))))).toBeLessThanOrEqual(bound(x));
        const Atz = refMatVec(refT(A), z);
        expect(fro(refSub(new Matrix(n, 1, mulAtVec(new Float64Array(n), A, z)), new Matrix(n, 1, Atz)))).toBeLessThanOrEqual(bound(z));
        const y = mulVecAcc(y0.slice(), A, x, 2);
        const ey = refMatVec(A, x).map((v, i) => y0[i]! + 2 * v);
        expect(fro(refSub(new Matrix(m, 1, y), new Matrix(m, 1, ey)))).toBeLessThanOrEqual(2 * bound(x) + 4 * EPS * fro(y0));
        const x0 = rng.vector(n);
        const u = mulAtVecAcc(x0.slice(), A, z, -1);
        const eu = Atz.map((v, i) => x0[i]! - v);
        expect(fro(refSub(new Matrix(n, 1, u), new Matrix(n, 1, eu)))).toBeLessThanOrEqual(bound(z) + 4 * EPS * fro(x0));
      }),
      fcParams(200),
    );
  });

  it('products reject mismatched shapes and aliased outputs', () => {
    const A = new Matrix(2, 3);
    const B = new Matrix(3, 4);
    expect(() => mul(new Matrix(2, 3), A, B)).toThrow(ShapeError);
    expect(() => mul(new Matrix(2, 4), A, A)).toThrow(/mul: shapes do not fit/);
    expect(() => mulAtB(new Matrix(3, 4), A, B)).toThrow(ShapeError);
    expect(() => mulVec(new Float64Array(2), A, new Float64Array(2))).toThrow(ShapeError);
    const S = identity(3);
    expect(() => mul(S, S, S)).toThrow(/must not share memory/);
    // Views of disjoint parts of one buffer are fine; overlapping views are not.
    const buf = new Float64Array(27);
    const X = matrixView(buf, 0, 3, 3);
    const Y = matrixView(buf, 9, 3, 3);
    const Z = matrixView(buf, 18, 3, 3);
    setIdentity(X);
    setIdentity(Y);
    mul(Z, X, Y);
    expect(Array.from(Z.data)).toEqual(Array.from(identity(3).data));
    expect(() => mul(matrixView(buf, 5, 3, 3), X, Y)).toThrow(ShapeError);
  });
});

describe(`structural helpers (seed ${SEED})`, () => {
  it('transpose, symmetrize, addScaledIdentity, copy, add, scale', () => {
    fc.assert(
      fc.property(dims, ({ m, n, seed }) => {
        const rng = new TestRng(seed);
        const A = rng.gaussian(m, n);
        const T = transposeInto(new Matrix(n, m), A);
        expect(Array.from(T.data)).toEqual(Array.from(refT(A).data));
        const S = rng.gaussian(n, n);
        const St = transposeInto(new Matrix(n, n, S.data.slice()), new Matrix(n, n, S.data.slice()));
        // in place:
        const Sin = new Matrix(n, n, S.data.slice());
        transposeInto(Sin, Sin);
        expect(Array.from(Sin.data)).toEqual(Array.from(St.data));
        const sym = symmetrize(new Matrix(n, n), S);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            expect(sym.get(i, j)).toBe(sym.get(j, i));
            expect(sym.get(i, j)).toBe(0.5 * (S.get(i, j) + S.get(j, i)));
          }
        }
        const R = addScaledIdentity(new Matrix(n, n, S.data.slice()), new Matrix(n, n, S.data.slice()), 3);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(R.get(i, j)).toBe(S.get(i, j) + (i === j ? 3 : 0));
        const C = copyInto(new Matrix(m, n), A);
        expect(Array.from(C.data)).toEqual(Array.from(A.data));
        expect(Array.from(addInto(new Matrix(m, n), A, C, -1).data).every((v) => v === 0)).toBe(true);
        expect(Array.from(scaleInto(C, C, 2).data)).toEqual(Array.from(A.data.map((v) => 2 * v)));
      }),
      fcParams(100),
    );
  });

  it('constructors and checks', () => {
    expect(fromRows([[1, 2], [3, 4]]).get(1, 0)).toBe(3);
    expect(() => fromRows([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => new Matrix(2, 2, new Float64Array(3))).toThrow(ShapeError);
    expect(() => new Matrix(-1, 2)).toThrow(ShapeError);
    expect(() => symmetrize(new Matrix(2, 3), new Matrix(2, 3))).toThrow(/must be square, got 2x3/);
    expect(() => matrixView(new Float64Array(4), 2, 2, 2)).toThrow(ShapeError);
    expect(() => assertFinite('t', new Float64Array([1, NaN]))).toThrow(NonFiniteError);
    expect(() => assertFinite('t', new Float64Array([1, -Infinity]))).toThrow(/flat index 1/);
    expect(norm2(new Float64Array([3e200, 4e200]))).toBeCloseTo(5e200, -190);
    expect(norm2(new Float64Array([3e-200, 4e-200]))).toBeCloseTo(5e-200, 210);
  });
});
