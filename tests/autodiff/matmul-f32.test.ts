/**
 * The float32 matmul's packing (kernels/matmul-f32.ts: panels packed in JavaScript, by the
 * WebAssembly transposing pack of wasm/pack.ts, or an untransposed B read in place), pinned
 * exactly: on the plain path (no fused multiply-adds) and with one reduction block (k <= 256),
 * every output is the float32 sum of its products taken in order p = 0, 1, ..., each product
 * and each sum rounded to float32, which JavaScript can replay with Math.fround. A misplaced
 * element in any panel changes a value, so the comparison is bit for bit. Shapes cover whole
 * panels (the WebAssembly pack: rows a multiple of the panel width, k a multiple of 4), partial
 * ones (the JavaScript pack), every transpose flag, and batches with a shared operand.
 */
import fc from 'fast-check';
import { afterEach, describe, it } from 'vitest';
import { matmul, setFusedMultiplyAdd } from '../../src/autodiff/kernels/index.js';
import { randomF32 } from './random-arrays.js';

const SEED = 20261205;

afterEach(() => setFusedMultiplyAdd(true));

describe(`float32 matmul packing, exact on the plain path (fast-check seed ${SEED})`, () => {
  it('equals the in-order float32 sums bit for bit for every layout', () => {
    setFusedMultiplyAdd(false);
    const caseArb = fc.record({
      batch: fc.integer({ min: 1, max: 2 }),
      m: fc.oneof(fc.constantFrom(4, 8, 12, 64), fc.integer({ min: 1, max: 20 })),
      n: fc.oneof(fc.constantFrom(4, 8, 16, 64), fc.integer({ min: 1, max: 20 })),
      k: fc.oneof(fc.constantFrom(4, 8, 64, 256), fc.integer({ min: 1, max: 40 })),
      transA: fc.boolean(), transB: fc.boolean(), sharedB: fc.boolean(), seed: fc.integer(),
    });
    fc.assert(fc.property(caseArb, ({ batch, m, n, k, transA, transB, sharedB, seed }) => {
      const a = randomF32(batch * m * k, seed);
      const b = randomF32((sharedB ? 1 : batch) * k * n, seed + 1);
      const out = new Float32Array(batch * m * n).fill(NaN);
      const bBatchStride = sharedB ? 0 : k * n;
      matmul({ a, b, out, batch, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride });
      for (let item = 0; item < batch; item++) {
        for (let r = 0; r < m; r++) {
          for (let c = 0; c < n; c++) {
            let acc = 0;
            for (let p = 0; p < k; p++) {
              const x = a[item * m * k + (transA ? p * m + r : r * k + p)];
              const y = b[item * bBatchStride + (transB ? c * k + p : p * n + c)];
              acc = Math.fround(acc + Math.fround(x * y));
            }
            const got = out[(item * m + r) * n + c];
            if (!Object.is(got, acc)) {
              throw new Error(`[${item}, ${r}, ${c}] of ${JSON.stringify({ batch, m, n, k, transA, transB, sharedB })}: ${got} vs ${acc} (seed ${SEED})`);
            }
          }
        }
      }
    }), { seed: SEED, numRuns: 80 });
  });
});
