/**
 * Float32 add, sub, mul, greater and ReLU in WebAssembly (kernels/wasm/binary.ts) equal the
 * JavaScript loops bit for bit: one float32 rounding of the exact result either way (a double
 * holds the exact product of two float32 values, and rounding a double sum to float32 is
 * correctly rounded), and comparisons are exact. Covers operands of one shape, one value per
 * row, per channel, per column (a bias) or a scalar on either side, rows not a multiple of 4
 * (the loops) and arrays spanning several chunks. A failure prints the seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcreteTensor, type Tensor, add, affine, greater, mul, mulSumTo, relu, sub, sum } from '../../src/autodiff/index.js';
import { binaryColsF32, binaryRowsF32, binarySameF32, reduceColsF32, reduceRowsF32 } from '../../src/autodiff/kernels/index.js';

const SEED = 20261204;
const OPS: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
  ['add', add, (x, y) => x + y], ['sub', sub, (x, y) => x - y], ['mul', mul, (x, y) => x * y],
  ['greater', greater, (x, y) => (x > y ? 1 : 0)],
];

/** float32 values with varied exponents, and some exact zeros, infinities and NaN. */
function values(length: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    if (u < 0.01) return [0, -0, Infinity, NaN][s & 3];
    return (u - 0.5) * 2 ** ((s >>> 8) % 60 - 30);
  });
}

const sameBits = (got: Float32Array, want: number[], what: string) => {
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], Math.fround(want[i]))) throw new Error(`${what} at ${i}: ${got[i]} vs ${Math.fround(want[i])}`);
  }
};

describe(`float32 add, sub and mul in WebAssembly (seed ${SEED})`, () => {
  it('the ops equal their float32 roundings bit for bit, for one shape and for one value per row on either side', () => {
    const shapeArb = fc.record({
      batch: fc.integer({ min: 1, max: 8 }),
      channels: fc.integer({ min: 1, max: 24 }),
      length: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(4, 8, 32, 4100)),
      seed: fc.integer(),
    });
    fc.assert(fc.property(shapeArb, ({ batch, channels, length, seed }) => {
      const full = [batch, channels, length];
      const a = new ConcreteTensor(values(batch * channels * length, seed), full);
      const b = new ConcreteTensor(values(batch * channels * length, seed + 1), full);
      const s = new ConcreteTensor(values(batch * channels, seed + 2), [batch, channels, 1]);
      const c = new ConcreteTensor(values(channels, seed + 3), [1, channels, 1]); // a per-channel bias: runs, not rows
      // affine (FiLM: a scale and shift per row; GroupNorm: per channel): the double result rounded once, as the loop does
      const [sd, cd0] = [s.data, c.data];
      sameBits(affine(a, s, c).concrete().data as Float32Array,
        Array.from(a.data, (x, i) => x * sd[Math.floor(i / length)] + cd0[Math.floor(i / length) % channels]), 'affine');
      for (const [name, f, ref] of OPS) {
        const ad = a.data, bd = b.data, sd = s.data;
        sameBits(f(a, b).concrete().data as Float32Array, Array.from(ad, (x, i) => ref(x, bd[i])), `${name} same`);
        sameBits(f(a, s).concrete().data as Float32Array, Array.from(ad, (x, i) => ref(x, sd[Math.floor(i / length)])), `${name} rows`);
        sameBits(f(s, a).concrete().data as Float32Array, Array.from(ad, (x, i) => ref(sd[Math.floor(i / length)], x)), `${name} rows left`);
        const cd = c.data;
        const channel = (i: number) => cd[Math.floor(i / length) % channels];
        sameBits(f(a, c).concrete().data as Float32Array, Array.from(ad, (x, i) => ref(x, channel(i))), `${name} channels`);
        sameBits(f(c, a).concrete().data as Float32Array, Array.from(ad, (x, i) => ref(channel(i), x)), `${name} channels left`);
      }
    }), { seed: SEED, numRuns: 60 });
  });

  it('a bias (one row) and a scalar on either side, and ReLU, equal their float32 roundings bit for bit', () => {
    const caseArb = fc.record({
      rows: fc.integer({ min: 1, max: 20 }),
      width: fc.oneof(fc.integer({ min: 2, max: 40 }), fc.constantFrom(4, 256, 3300)),
      seed: fc.integer(),
    });
    fc.assert(fc.property(caseArb, ({ rows, width, seed }) => {
      const a = new ConcreteTensor(values(rows * width, seed), [rows, width]);
      const bias = new ConcreteTensor(values(width, seed + 1), [width]);
      const y = values(1, seed + 2)[0];
      const ad = a.data, bd = bias.data;
      for (const [name, f, ref] of OPS) {
        sameBits(f(a, bias).concrete().data as Float32Array, Array.from(ad, (x, i) => ref(x, bd[i % width])), `${name} bias`);
        sameBits(f(bias, a).concrete().data as Float32Array, Array.from(ad, (x, i) => ref(bd[i % width], x)), `${name} bias left`);
        const s = new ConcreteTensor(Float32Array.of(y), []);
        sameBits(f(a, s).concrete().data as Float32Array, Array.from(ad, (x) => ref(x, y)), `${name} scalar`);
        sameBits(f(s, a).concrete().data as Float32Array, Array.from(ad, (x) => ref(y, x)), `${name} scalar left`);
      }
      sameBits(relu(a).concrete().data as Float32Array, Array.from(ad, (x) => (x > 0 ? x : 0)), 'relu');
      // The bias's cotangent: columns summed in float64 row after row, rounded once.
      const want = Array.from({ length: width }, (_, j) => {
        let t = 0;
        for (let r = 0; r < rows; r++) t += ad[r * width + j];
        return t;
      });
      sameBits(sum(a, [0]).concrete().data as Float32Array, want, 'column sums');
    }), { seed: SEED, numRuns: 30 });
    // -0 and NaN go to +0 under ReLU, as in the loop.
    const special = new ConcreteTensor(Float32Array.from({ length: 2048 }, (_, i) => [-0, NaN, -1, 2, Infinity, -Infinity][i % 6]), [2048]);
    expect(Array.from(relu(special).concrete().data.subarray(0, 6), (v) => Object.is(v, -0) ? '-0' : v)).toEqual([0, 0, 0, 2, Infinity, 0]);
  });

  it('row sums (a bias\'s and a scale\'s cotangent) match float64 sums of the same terms', () => {
    const caseArb = fc.record({
      outer: fc.integer({ min: 1, max: 6 }), middle: fc.integer({ min: 1, max: 30 }),
      quads: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constant(1100)), seed: fc.integer(),
    });
    fc.assert(fc.property(caseArb, ({ outer, middle, quads, seed }) => {
      const inner = 4 * quads;
      const n = outer * middle * inner;
      const a = Float32Array.from(values(n, seed), (v) => (Number.isFinite(v) ? v : 1));
      const b = Float32Array.from(values(n, seed + 1), (v) => (Number.isFinite(v) ? v : -1));
      for (const withB of [false, true]) {
        const got = new Float64Array(middle).fill(0.5); // accumulates into what is there
        expect(reduceRowsF32(got, a, withB ? b : null, outer, middle, inner)).toBe(true);
        for (let m = 0; m < middle; m++) {
          let want = 0.5;
          let scale = 0.5;
          for (let o = 0; o < outer; o++) {
            for (let j = 0; j < inner; j++) {
              const i = (o * middle + m) * inner + j;
              const t = withB ? a[i] * b[i] : a[i];
              want += t;
              scale += Math.abs(t);
            }
          }
          if (!(Math.abs(got[m] - want) <= 1e-13 * scale)) throw new Error(`${withB ? 'dots' : 'sums'} at ${m}: ${got[m]} vs ${want}`);
        }
      }
    }), { seed: SEED, numRuns: 60 });
    // Through the ops, in float32: sum over (batch, time) to [C], and a FiLM scale's cotangent.
    const [B, C, T] = [4, 6, 8];
    const x = new ConcreteTensor(values(B * C * T, 5).map((v) => (Number.isFinite(v) ? v : 0)), [B, C, T]);
    const y = new ConcreteTensor(values(B * C * T, 6).map((v) => (Number.isFinite(v) ? v : 0)), [B, C, T]);
    const xd = x.data, yd = y.data;
    const bySum = sum(x, [0, 2]).toArray();
    const byScale = mulSumTo(x, y, [B, C, 1]).toArray();
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) s += xd[(b * C + c) * T + t];
      expect(bySum[c]).toBe(Math.fround(s));
    }
    for (let r = 0; r < B * C; r++) {
      let s = 0;
      for (let t = 0; t < T; t++) s += xd[r * T + t] * yd[r * T + t];
      expect(byScale[r]).toBe(Math.fround(s));
    }
  });

  it('the kernels run where they apply and decline rows that are not a multiple of 4', () => {
    const x = values(3 * 8, 1);
    const out = new Float32Array(24).fill(7);
    expect(binarySameF32('mul', x, x, out)).toBe(true);
    sameBits(out, Array.from(x, (v) => v * v), 'same');
    expect(binaryRowsF32('sub', x, values(3, 2), out, 8, true)).toBe(true);
    const six = new Float32Array(24).fill(7);
    expect(binaryRowsF32('add', x, values(4, 3), six, 6, false)).toBe(false);
    expect([...six]).toEqual(new Array(24).fill(7)); // nothing written
    expect(binaryColsF32('mul', x, values(6, 4), six, false)).toBe(false); // a row of 6
    expect(binaryColsF32('greater', x, values(8, 4), out, true)).toBe(true);
    const sums = new Float64Array(6);
    expect(reduceColsF32(sums, x, 4, 6)).toBe(false);
    expect([...sums]).toEqual(new Array(6).fill(0));
    const eight = new Float64Array(8).fill(0.5); // accumulates into what is there
    expect(reduceColsF32(eight, x, 3, 8)).toBe(true);
    expect([...eight]).toEqual(Array.from({ length: 8 }, (_, j) => 0.5 + x[j] + x[8 + j] + x[16 + j]));
  });
});
