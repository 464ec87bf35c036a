/**
 * The float32 GroupNorm kernels in WebAssembly (kernels/wasm/groupnorm.ts) pinned to the
 * definitions in float64: group statistics to float64 rounding (their sums are float64 in
 * both), xhat and P_x(v) to a few float32 roundings of their terms (the kernels form their
 * per-group coefficients in float64 and apply them in float32). Groups whose size is not a
 * multiple of 4 fall back to the JavaScript loops. A failure prints the seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupNormalizeF32, groupStatisticsF32, groupTangentF32 } from '../../src/autodiff/kernels/index.js';
import { Rng } from '../../src/autodiff/index.js';

const SEED = 20261203;
const EPS32 = 2 ** -23;

/** Two-pass mean and 1 / sqrt(var + eps) per group, in float64. */
function statistics(x: Float32Array, count: number, n: number, eps: number): { mean: number[]; inv: number[] } {
  const mean: number[] = [];
  const inv: number[] = [];
  for (let g = 0; g < count; g++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[g * n + i];
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[g * n + i] - m) ** 2;
    mean.push(m);
    inv.push(1 / Math.sqrt(v / n + eps));
  }
  return { mean, inv };
}

/** Groups of n = 4 k values, with an offset per group so that cancellation is exercised. */
const caseArb = fc.record({
  count: fc.integer({ min: 1, max: 40 }),
  // 1000 groups of 4,000 span several 65,536-value chunks; 16,400 * 4 exceeds one
  quads: fc.oneof(fc.integer({ min: 1, max: 30 }), fc.constant(1000), fc.constant(16400)),
  offset: fc.double({ min: -20, max: 20, noNaN: true }),
  spread: fc.double({ min: 1e-3, max: 10, noNaN: true }),
  seed: fc.integer({ min: 0, max: 2 ** 30 }),
}).filter((c) => c.count * c.quads <= 50000);

describe(`float32 GroupNorm kernels in WebAssembly (seed ${SEED})`, () => {
  it('statistics, xhat and P_x(v) match the float64 definitions', () => {
    fc.assert(fc.property(caseArb, ({ count, quads, offset, spread, seed }) => {
      const n = 4 * quads;
      const rng = new Rng(seed);
      const x = Float32Array.from(rng.normal([count * n]).toArray(), (v, i) => offset * (1 + Math.floor(i / n) % 3) + spread * v);
      const v = Float32Array.from(rng.normal([count * n]).toArray());
      const eps = 1e-5;
      const mean = new Float64Array(count);
      const inv = new Float64Array(count);
      if (n > 65536) {
        expect(groupStatisticsF32(x, count, n, eps, mean, inv)).toBe(false); // a group larger than a chunk: the loops
        return;
      }
      expect(groupStatisticsF32(x, count, n, eps, mean, inv)).toBe(true);
      const want = statistics(x, count, n, eps);
      for (let g = 0; g < count; g++) {
        expect(Math.abs(mean[g] - want.mean[g])).toBeLessThanOrEqual(1e-12 * (Math.abs(offset) * 3 + spread * 10));
        expect(Math.abs(inv[g] - want.inv[g])).toBeLessThanOrEqual(1e-9 * want.inv[g]);
      }
      const xhat = new Float32Array(count * n);
      const tangent = new Float32Array(count * n);
      expect(groupNormalizeF32(x, mean, inv, count, n, xhat)).toBe(true);
      expect(groupTangentF32(x, v, mean, inv, count, n, tangent)).toBe(true);
      for (let g = 0; g < count; g++) {
        const [m, r] = [mean[g], inv[g]];
        let sv = 0;
        let sxv = 0;
        for (let i = g * n; i < (g + 1) * n; i++) {
          sv += v[i];
          sxv += (x[i] - m) * r * v[i];
        }
        const [mv, mxv] = [sv / n, sxv / n];
        for (let i = g * n; i < (g + 1) * n; i++) {
          const h = (x[i] - m) * r;
          const hTol = 4 * EPS32 * (Math.abs(x[i] * r) + Math.abs(m * r)) + EPS32 * Math.abs(h);
          if (!(Math.abs(xhat[i] - h) <= hTol)) throw new Error(`xhat at ${i}: ${xhat[i]} vs ${h}`);
          const t = (v[i] - mv - h * mxv) * r;
          const terms = Math.abs(v[i] * r) + Math.abs(x[i] * r * r * mxv) + Math.abs(r * (m * r * mxv - mv));
          if (!(Math.abs(tangent[i] - t) <= 4 * EPS32 * terms + EPS32 * Math.abs(t))) throw new Error(`P_x(v) at ${i}: ${tangent[i]} vs ${t}`);
        }
      }
    }), { seed: SEED, numRuns: 60 });
  });

  it('leave groups whose size is not a multiple of 4 to the JavaScript loops', () => {
    const x = new Float32Array(2 * 6).fill(1);
    const out = new Float32Array(12).fill(7);
    expect(groupStatisticsF32(x, 2, 6, 1e-5, new Float64Array(2), new Float64Array(2))).toBe(false);
    expect(groupNormalizeF32(x, new Float64Array(2), new Float64Array(2), 2, 6, out)).toBe(false);
    expect(groupTangentF32(x, x, new Float64Array(2), new Float64Array(2), 2, 6, out)).toBe(false);
    expect([...out]).toEqual(new Array(12).fill(7)); // nothing written
  });
});
