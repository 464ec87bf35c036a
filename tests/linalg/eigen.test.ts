import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EigenWorkspace,
  fromRows,
  Matrix,
  NonFiniteError,
  projectPsd,
  projectPsdInto,
  ShapeError,
  symmetricConditionNumber,
  symmetricEigen,
  symmetricEigenInPlace,
} from '../../src/linalg/index.js';
import {
  caseArb,
  EPS,
  fcParams,
  fro,
  randomOrthogonal,
  refDiag,
  refIdentity,
  refMul,
  refSub,
  refT,
  SEED,
  spectrum,
  symmetricWithEigenvalues,
  TestRng,
} from './helpers.js';

/** Known spectrum with random signs, optionally with repeated eigenvalues and an overall scale. */
function spectralCase(n: number, seed: number, logCond: number, repeated: boolean, scale: number) {
  const rng = new TestRng(seed);
  const lambda = spectrum(rng, n, logCond).map((v) => (rng.uniform() < 0.5 ? -v : v) * scale);
  if (repeated && n >= 3) {
    lambda[1] = lambda[0]!;
    lambda[2] = lambda[0]!;
  }
  return { A: symmetricWithEigenvalues(rng, lambda), lambda };
}

const arb = fc.tuple(caseArb(), fc.boolean(), fc.constantFrom(1, 1e-200, 1e200, 3.7));

describe(`symmetric eigensolver, cyclic Jacobi (seed ${SEED})`, () => {
  it('V diag(w) V^T = A, V orthogonal, w ascending and equal to the known spectrum (Weyl bound)', () => {
    fc.assert(
      fc.property(arb, ([{ n, seed, logCond }, repeated, scale]) => {
        const { A, lambda } = spectralCase(n, seed, logCond, repeated, scale);
        const { values: w, vectors: V, sweeps } = symmetricEigen(A);
        for (let i = 1; i < n; i++) expect(w[i]!).toBeGreaterThanOrEqual(w[i - 1]!);
        const normA = fro(A);
        // Each sweep touches every column of V n-1 times with rotations that are orthogonal to
        // O(eps), so the rounding error can grow (at worst linearly) with the sweeps:
        // c n eps per sweep, with c = 1 (observed: ~1.3 n eps in total after 5..9 sweeps).
        const c = n * EPS * Math.max(sweeps, 2);
        expect(fro(refSub(refMul(refMul(V, refDiag(w)), refT(V)), A))).toBeLessThanOrEqual(c * normA);
        expect(fro(refSub(refMul(refT(V), V), refIdentity(n)))).toBeLessThanOrEqual(c);
        // Weyl: each computed eigenvalue is within ||E||_2 of the exact one, E = backward error,
        // plus the error of forming A = Q diag(lambda) Q^T in floating point (Q's own loss of
        // orthogonality counts twice, and the products add n eps): 4 n eps ||A||.
        const sorted = Float64Array.from(lambda).sort();
        for (let i = 0; i < n; i++) expect(Math.abs(w[i]! - sorted[i]!)).toBeLessThanOrEqual((c + 4 * n * EPS) * normA);
      }),
      fcParams(300),
    );
  });

  it('A V = V diag(w) column by column (eigenvector equation)', () => {
    fc.assert(
      fc.property(caseArb(), ({ n, seed, logCond }) => {
        const { A } = spectralCase(n, seed, logCond, false, 1);
        const ws = new EigenWorkspace(n).decompose(A);
        const AV = refMul(A, ws.vectors);
        const VW = refMul(ws.vectors, refDiag(ws.values));
        expect(fro(refSub(AV, VW))).toBeLessThanOrEqual(2 * n * EPS * fro(A));
      }),
      fcParams(150),
    );
  });

  it('projectPsd: eigenvalues clipped at minEigenvalue, distance = norm of the clipped part, PSD input unchanged', () => {
    fc.assert(
      fc.property(caseArb(), fc.constantFrom(0, 1e-3), ({ n, seed, logCond }, minEig) => {
        const { A, lambda } = spectralCase(n, seed, logCond, false, 1);
        const P = projectPsd(A, minEig);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(P.get(i, j)).toBe(P.get(j, i));
        const wP = symmetricEigen(P).values;
        expect(wP[0]!).toBeGreaterThanOrEqual(minEig - 4 * n * EPS * fro(A));
        // ||A - P||_F = sqrt(sum over clipped eigenvalues of (lambda - minEig)^2) (Higham 1988).
        const dist = Math.sqrt(lambda.reduce((s, v) => s + (v < minEig ? (minEig - v) ** 2 : 0), 0));
        expect(Math.abs(fro(refSub(A, P)) - dist)).toBeLessThanOrEqual(8 * n * EPS * fro(A));
        // Projecting twice changes nothing (up to rounding).
        const ws = new EigenWorkspace(n);
        const PP = projectPsdInto(new Matrix(n, n), P, ws, minEig);
        expect(fro(refSub(PP, P))).toBeLessThanOrEqual(8 * n * EPS * fro(A));
      }),
      fcParams(150),
    );
  });

  it('projectPsdInto works in place and allocates through its workspace only', () => {
    const rng = new TestRng(3);
    const Q = randomOrthogonal(rng, 4);
    const A = refMul(refMul(Q, refDiag([-2, -1, 1, 2])), refT(Q));
    for (let i = 0; i < 4; i++) for (let j = 0; j < i; j++) A.set(j, i, A.get(i, j));
    const expected = refMul(refMul(Q, refDiag([0, 0, 1, 2])), refT(Q));
    const ws = new EigenWorkspace(4);
    projectPsdInto(A, A, ws);
    expect(fro(refSub(A, expected))).toBeLessThanOrEqual(50 * EPS);
  });

  it('condition number diagnostics', () => {
    expect(symmetricConditionNumber(fromRows([[4, 0], [0, -0.5]]))).toBeCloseTo(8, 12);
    expect(symmetricConditionNumber(fromRows([[1, 1], [1, 1]]))).toBeGreaterThan(1e15);
    expect(symmetricConditionNumber(new Matrix(2, 2))).toBe(Infinity);
  });

  it('bad input: NaN -> NonFiniteError, non-square / mismatched -> ShapeError', () => {
    expect(() => symmetricEigen(fromRows([[1, 0], [NaN, 1]]))).toThrow(NonFiniteError);
    expect(() => projectPsd(fromRows([[Infinity, 0], [0, 1]]))).toThrow(/symmetricEigenInPlace: A contains a non-finite value/);
    expect(() => symmetricEigen(new Matrix(2, 3))).toThrow(ShapeError);
    expect(() => symmetricEigenInPlace(new Matrix(2, 2), new Float64Array(3), new Matrix(2, 2))).toThrow(ShapeError);
    expect(() => projectPsdInto(new Matrix(3, 3), new Matrix(3, 3), new EigenWorkspace(2))).toThrow(ShapeError);
  });
});
