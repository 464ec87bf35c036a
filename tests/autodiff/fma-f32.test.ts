/**
 * The float32 WebAssembly kernels with fused multiply-adds (relaxed SIMD, wasm/relaxed.ts) and
 * their plain fallback, both pinned to the float64 reference.
 *
 * Tolerance, derived rather than tuned: every output of these kernels is one float32 sum of
 * n products taken in order (the wgrad kernels: a few such sums over disjoint positions, added
 * in float64 and rounded once). Whether each step rounds the product and then the sum (plain)
 * or only the sum (fused), the classic bound for a dot product of length n computed in
 * precision u = 2^-24 is |computed - exact| <= gamma_n sum |x_i y_i|, gamma_n = n u / (1 - n u)
 * (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., eq. 3.5); the wgrad kernels'
 * final rounding to float32 adds one more u. So the check is |got - want| <= gamma_{n+1} scale,
 * with scale = sum |terms| (the reference run on |inputs|), the same bound for both paths.
 *
 * A small exact case shows that each path really runs: fused, (1 + 2^-12)^2 - 1 is exact;
 * plain, the product is rounded first and the 2^-24 is lost.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Conv1dGeometry, availableBackends, conv1d, conv1dInputAdjoint, conv1dOutLength, conv1dWeightAdjoint, fusedMultiplyAdd,
  kernelBackend, matmul, relaxedSimdAvailable, setFusedMultiplyAdd,
} from '../../src/autodiff/kernels/index.js';
import {
  conv1dInputAdjointReference, conv1dReference, conv1dWeightAdjointReference, matmulReference,
} from '../../src/autodiff/kernels/reference.js';
import { randomF32 } from './random-arrays.js';

const SEED = 20261202;
const params = { seed: SEED, numRuns: 40 };
const U = 2 ** -24;
const gamma = (n: number): number => (n * U) / (1 - n * U);

/** |got - want| <= gamma_{n+1} scale elementwise; the message carries the seed. */
function expectWithinBound(got: Float32Array, want: Float64Array, scale: Float64Array, n: number, what: string): void {
  const tol = gamma(n + 1);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * scale[i])) {
      throw new Error(`${what}: element ${i} got ${got[i]} want ${want[i]} (err ${err}, bound ${tol * scale[i]}, fma ${fusedMultiplyAdd()}, seed ${SEED})`);
    }
  }
}

const f64 = (a: Float32Array) => Float64Array.from(a);
const abs = (a: Float32Array) => Float64Array.from(a, Math.abs);
const paths = [true, false] as const;

afterEach(() => setFusedMultiplyAdd(true));

describe(`float32 kernels, fused and plain, within the dot-product bound (fast-check seed ${SEED})`, () => {
  it('Node has relaxed SIMD once its V8 flag is set at run time, and float32 calls use it by default', () => {
    expect(relaxedSimdAvailable()).toBe(true);
    expect(kernelBackend('matmul', 'float32')).toBe('wasm');
    expect(fusedMultiplyAdd()).toBe(true);
    setFusedMultiplyAdd(false);
    expect(fusedMultiplyAdd()).toBe(false);
  });

  for (const narrow of [true, false]) {
    it(`matmul runs the path it says (${narrow ? 'narrow 4-column' : 'wide 8-column'} tiles): fused keeps the 2^-24 of (1 + 2^-12)^2 - 1, plain loses it`, () => {
      const n = narrow ? 1 : 8;
      const e = 1 + 2 ** -12;
      const a = Float32Array.of(-1, e); // 1 x 2
      const b = new Float32Array(2 * n);
      b.fill(1, 0, n); // row 0 of B: 1
      b.fill(e, n, 2 * n); // row 1: 1 + 2^-12
      const run = () => {
        const out = new Float32Array(n);
        matmul({ a, b, out, batch: 1, m: 1, n, k: 2, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
        return [...out];
      };
      expect(run()).toEqual(new Array(n).fill(2 ** -11 + 2 ** -24));
      setFusedMultiplyAdd(false);
      expect(run()).toEqual(new Array(n).fill(2 ** -11));
    });
  }

  for (const fused of paths) {
    it(`matmul, ${fused ? 'fused' : 'plain (the fallback, forced)'}`, () => {
      setFusedMultiplyAdd(fused);
      fc.assert(
        fc.property(
          fc.record({
            batch: fc.integer({ min: 1, max: 3 }),
            m: fc.integer({ min: 1, max: 40 }),
            n: fc.integer({ min: 1, max: 40 }),
            k: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 250, max: 530 })),
            transA: fc.boolean(),
            transB: fc.boolean(),
            broadcastB: fc.boolean(),
            seed: fc.integer(),
          }),
          (r) => {
            const { batch, m, n, k, transA, transB } = r;
            const bBatchStride = r.broadcastB ? 0 : k * n;
            const a = randomF32(batch * m * k, r.seed);
            const b = randomF32(r.broadcastB ? k * n : batch * k * n, r.seed + 1);
            const args = <T extends Float32Array | Float64Array>(x: T, y: T, out: T) =>
              ({ a: x, b: y, out, batch, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride });
            const want = new Float64Array(batch * m * n);
            const scale = new Float64Array(batch * m * n);
            matmulReference(args(f64(a), f64(b), want));
            matmulReference(args(abs(a), abs(b), scale));
            const got = new Float32Array(batch * m * n).fill(NaN);
            matmul(args(a, b, got));
            expectWithinBound(got, want, scale, k, `matmul ${JSON.stringify(r)}`);
          },
        ),
        params,
      );
    });

    it(`conv1d and both adjoints, ${fused ? 'fused' : 'plain (the fallback, forced)'}`, () => {
      if (!availableBackends().includes('wasm')) return;
      setFusedMultiplyAdd(fused);
      fc.assert(
        fc.property(
          fc.record({
            batch: fc.integer({ min: 1, max: 3 }),
            inChannels: fc.integer({ min: 1, max: 9 }),
            outChannels: fc.integer({ min: 2, max: 10 }),
            inLength: fc.integer({ min: 4, max: 24 }),
            kernelSize: fc.integer({ min: 1, max: 5 }),
            stride: fc.integer({ min: 1, max: 2 }),
            padding: fc.integer({ min: 0, max: 3 }),
            dilation: fc.integer({ min: 1, max: 2 }),
            seed: fc.integer(),
          }).map((r) => ({ ...r, outLength: conv1dOutLength(r.inLength, r.kernelSize, r.stride, r.padding, r.dilation) }))
            .filter((r) => r.outLength >= 1),
          (r) => {
            const g: Conv1dGeometry = r;
            const { batch: B, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K } = g;
            const x = randomF32(B * I * L, r.seed);
            const w = randomF32(O * I * K, r.seed + 1);
            const dy = randomF32(B * O * T, r.seed + 2);
            const what = JSON.stringify(r);
            const check = (
              size: number, n: number, name: string,
              reference: (p: Float64Array, q: Float64Array, out: Float64Array, g: Conv1dGeometry) => void,
              fast: (p: Float32Array, q: Float32Array, out: Float32Array, g: Conv1dGeometry) => void,
              p: Float32Array, q: Float32Array,
            ) => {
              const want = new Float64Array(size);
              const scale = new Float64Array(size);
              reference(f64(p), f64(q), want, g);
              reference(abs(p), abs(q), scale, g);
              const got = new Float32Array(size).fill(NaN);
              fast(p, q, got, g);
              expectWithinBound(got, want, scale, n, `${name} ${what}`);
            };
            check(B * O * T, I * K, 'conv1d', conv1dReference, conv1d, x, w);
            check(B * I * L, O * K, 'conv1dInputAdjoint', conv1dInputAdjointReference, conv1dInputAdjoint, dy, w);
            check(O * I * K, B * T, 'conv1dWeightAdjoint', conv1dWeightAdjointReference, conv1dWeightAdjoint, x, dy);
          },
        ),
        params,
      );
    });
    it(`conv1dWeightAdjoint with 8-channel one-tap tiles (O a multiple of 8, K = 5 or 9), ${fused ? 'fused' : 'plain'}`, () => {
      setFusedMultiplyAdd(fused);
      fc.assert(fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 3 }), inChannels: fc.integer({ min: 1, max: 6 }), outChannels: fc.constantFrom(8, 16, 24),
          inLength: fc.integer({ min: 4, max: 20 }), kernelSize: fc.constantFrom(5, 9), padding: fc.integer({ min: 0, max: 4 }), seed: fc.integer(),
        }).map((r) => ({ ...r, stride: 1, dilation: 1, outLength: conv1dOutLength(r.inLength, r.kernelSize, 1, r.padding, 1) }))
          .filter((r) => r.outLength >= 4),
        (r) => {
          const g: Conv1dGeometry = r;
          const { batch: B, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K } = g;
          const x = randomF32(B * I * L, r.seed);
          const dy = randomF32(B * O * T, r.seed + 2);
          const want = new Float64Array(O * I * K);
          const scale = new Float64Array(O * I * K);
          conv1dWeightAdjointReference(f64(x), f64(dy), want, g);
          conv1dWeightAdjointReference(abs(x), abs(dy), scale, g);
          const got = new Float32Array(O * I * K).fill(NaN);
          conv1dWeightAdjoint(x, dy, got, g);
          expectWithinBound(got, want, scale, B * T, `conv1dWeightAdjoint ${JSON.stringify(r)}`);
        },
      ), params);
    });
  }
});
