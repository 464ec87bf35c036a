/**
 * The differentiable linear algebra: every primitive's JVP against central differences,
 * the adjoint identity between its JVP and VJP, and second order (derivatives of the
 * derivative rules, which are themselves written with these primitives). Matrices are built
 * well away from the non-differentiable sets (singular, indefinite, repeated eigenvalues).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConcreteTensor, Rng, type Tensor, add, exp, matmul, mul, reshape, sum, tensor,
} from '../../src/autodiff/index.js';
import { LinalgError, NotPositiveDefiniteError, SingularMatrixError, differentiable as la } from '../../src/linalg/index.js';
import { checkAll, seedArb } from '../autodiff/check.js';

const SEED = 20261124;
const params = { seed: SEED, numRuns: 8 };

/** A well-conditioned square matrix: N(0, 1) entries plus n on the diagonal. */
function wellConditioned(rng: Rng, n: number): ConcreteTensor {
  const a = rng.normal([n, n]).data;
  for (let i = 0; i < n; i++) a[i * n + i] += n + 1;
  return new ConcreteTensor(a, [n, n]);
}

/** A symmetric positive definite matrix M M^T + I. */
function spd(rng: Rng, n: number): ConcreteTensor {
  const m = rng.normal([n, n]);
  return add(matmul(m, m, { transB: true }), tensorEye(n)) as ConcreteTensor;
}

function tensorEye(n: number): ConcreteTensor {
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) d[i * n + i] = 1;
  return new ConcreteTensor(d, [n, n]);
}

/** A symmetric matrix with eigenvalues 1, 2, ..., n (gaps of 1) in a random basis. */
function separatedSpectrum(rng: Rng, n: number): Tensor {
  const q = la.eigh(spd(rng, n)).vectors;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) d[i * n + i] = i + 1;
  return matmul(matmul(q, new ConcreteTensor(d, [n, n])), q, { transB: true });
}

const sizes = fc.integer({ min: 1, max: 4 });

describe(`differentiable linear algebra (seed ${SEED})`, () => {
  it('solve(A, b) for vector and matrix right-hand sides', () => {
    fc.assert(
      fc.property(sizes, fc.integer({ min: 0, max: 2 }), seedArb, (n, k, seed) => {
        const rng = new Rng(seed);
        const a = wellConditioned(rng, n);
        const b = rng.normal(k === 0 ? [n] : [n, k]);
        const x = la.solve(a, b);
        const residual = sum(mul(sub2(matmul(a, x), b), sub2(matmul(a, x), b))).item();
        expect(residual).toBeLessThan(1e-20 * (1 + sum(mul(b, b)).item()));
        checkAll((A, B) => la.solve(A, B), [a, b], rng, 'solve');
      }),
      params,
    );
  });

  it('triangularSolve, lower and upper, plain and transposed', () => {
    fc.assert(
      fc.property(sizes, fc.boolean(), fc.boolean(), seedArb, (n, lower, transpose, seed) => {
        const rng = new Rng(seed);
        const t = wellConditioned(rng, n);
        const b = rng.normal([n, 2]);
        checkAll((T, B) => la.triangularSolve(T, B, { lower, transpose }), [t, b], rng, `triangularSolve ${lower} ${transpose}`);
      }),
      params,
    );
  });

  it('cholesky reconstructs A and is differentiable', () => {
    fc.assert(
      fc.property(sizes, seedArb, (n, seed) => {
        const rng = new Rng(seed);
        const a = spd(rng, n);
        const l = la.cholesky(a);
        const back = matmul(l, l, { transB: true }).toArray();
        a.toArray().forEach((v, i) => expect(Math.abs(back[i] - v)).toBeLessThan(1e-12 * (1 + Math.abs(v)) * n));
        checkAll((A) => la.cholesky(A), [a], rng, 'cholesky');
        checkAll((A, B) => la.choleskySolve(la.cholesky(A), B), [a, rng.normal([n])], rng, 'choleskySolve');
      }),
      params,
    );
  });

  it('logdet matches the log of the product of the Cholesky diagonal, and is differentiable', () => {
    fc.assert(
      fc.property(sizes, seedArb, (n, seed) => {
        const rng = new Rng(seed);
        const a = spd(rng, n);
        const l = la.cholesky(a).toArray();
        let expected = 0;
        for (let i = 0; i < n; i++) expected += 2 * Math.log(l[i * n + i]);
        expect(Math.abs(la.logdet(a).item() - expected)).toBeLessThan(1e-12 * (1 + Math.abs(expected)));
        checkAll((A) => la.logdet(A), [wellConditioned(rng, n)], rng, 'logdet');
      }),
      params,
    );
  });

  it('eigh: values and a sign-invariant function of the vectors (V exp(diag w) V^T)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), seedArb, (n, seed) => {
        const rng = new Rng(seed);
        const a = separatedSpectrum(rng, n);
        const { values } = la.eigh(a);
        values.toArray().forEach((w, i) => expect(Math.abs(w - (i + 1))).toBeLessThan(1e-10 * n));
        checkAll((A) => la.eigh(A).values, [a], rng, 'eigh values');
        const expm = (A: Tensor) => {
          const e = la.eigh(A);
          return matmul(mul(e.vectors, reshape(exp(mul(e.values, 0.3)), [1, -1])), e.vectors, { transB: true });
        };
        checkAll(expm, [a], rng, 'eigh matrix exponential');
      }),
      params,
    );
  });

  it('bad input: typed errors, never NaN', () => {
    expect(() => la.solve(tensor([[1, 2, 3], [4, 5, 6]]), tensor([1, 2]))).toThrow(/solve.*square/);
    expect(() => la.solve(tensor([[1, 2], [2, 4]]), tensor([1, 2]))).toThrow(SingularMatrixError);
    expect(() => la.cholesky(tensor([[1, 2], [2, 1]]))).toThrow(NotPositiveDefiniteError);
    expect(() => la.cholesky(tensor([[NaN, 0], [0, 1]]))).toThrow(LinalgError);
    expect(() => la.solve(tensor([[1, 0], [0, 1]]), tensor([1, 2, 3]))).toThrow(/right-hand side/);
  });
});

function sub2(a: Tensor, b: Tensor): Tensor {
  return add(a, mul(b, -1));
}
