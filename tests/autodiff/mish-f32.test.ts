/**
 * The float32 WebAssembly Mish kernels (kernels/wasm/mish.ts) pinned to the float64
 * reference formulas (HELPERS, the loops every float64 Mish runs), and the Mish ops that
 * dispatch to them pinned to the float64 ops. A failure prints the seed.
 *
 * Tolerances, in float32 ulps of 1 (eps = 2^-23): mish within 4 eps relative (a scan of
 * [-100, 30] measured 2.2 eps); v mish'(x) and a b mish''(x) within 4 eps of |v| and |a b|
 * absolute (measured 2.0 and 1.8 eps: both derivatives cross zero, so near their roots only
 * an absolute bound means anything), plus the rounding of the result itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HELPERS } from '../../src/autodiff/kernels/scalar-functions.js';
import { ConcreteTensor, cast, jvp, mish, vjp } from '../../src/autodiff/index.js';
import { mishCurvatureF32, mishF32, mishScaleF32 } from '../../src/autodiff/kernels/index.js';
import { wasmAvailable } from '../../src/autodiff/kernels/wasm/runtime.js';
import { mishCurvature, mishScale } from '../../src/autodiff/ops/mish.js';

const SEED = 20261201;
const params = { seed: SEED, numRuns: 80 };
const EPS = 2 ** -23;
/** Below x = -87 the kernels clamp the exponential; every value there is below 1e-35 in magnitude. */
const TINY = 1e-35;

/** Float32 inputs over the whole range the U-Net sees and beyond, with the kernels' edges. */
const inputArb = fc.oneof(
  fc.double({ min: -120, max: 40, noNaN: true }),
  fc.double({ min: -3, max: 3, noNaN: true }),
  fc.constantFrom(0, -0, 20, 20.000002, 19.999998, -87, -87.5, -1.1924, -2.2564, 1e-30, -1e-30),
).map(Math.fround);
/** Lengths around the 8-float loop step and past the 65,536-float chunk. */
const lengthArb = fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constantFrom(65536, 65543, 131080));

function arrayOf(length: number, values: number[]): Float32Array {
  return Float32Array.from({ length }, (_, i) => values[i % values.length]);
}

function expectWithin(got: Float32Array, want: (i: number) => number, tolerance: (i: number) => number, what: string): void {
  for (let i = 0; i < got.length; i++) {
    const w = want(i);
    if (!(Math.abs(got[i] - w) <= tolerance(i) + EPS * Math.abs(w))) throw new Error(`${what} at ${i}: ${got[i]} vs ${w}`);
  }
}

describe(`float32 Mish kernels in WebAssembly (seed ${SEED})`, () => {
  it('assemble and run here (without WebAssembly every fast kernel would silently fall back to JavaScript)', () => {
    expect(wasmAvailable()).toBe(true);
  });

  it('mish is within 4 eps relative of the float64 formula', () => {
    fc.assert(fc.property(lengthArb, fc.array(inputArb, { minLength: 1, maxLength: 64 }), (length, values) => {
      const x = arrayOf(length, values);
      const out = new Float32Array(length);
      expect(mishF32(x, out)).toBe(true);
      expectWithin(out, (i) => HELPERS.mish(x[i]), (i) => 4 * EPS * Math.abs(HELPERS.mish(x[i])) + TINY, 'mish');
    }), params);
  });

  it('v mish\'(x) and a b mish\'\'(x) are within 4 eps of |v| and |a b| of the float64 formulas', () => {
    const scaleArb = fc.array(fc.double({ min: -4, max: 4, noNaN: true }).map(Math.fround), { minLength: 1, maxLength: 16 });
    fc.assert(fc.property(lengthArb, fc.array(inputArb, { minLength: 1, maxLength: 64 }), scaleArb, scaleArb, (length, values, vs, bs) => {
      const x = arrayOf(length, values);
      const v = arrayOf(length, vs);
      const b = arrayOf(length, bs);
      const out = new Float32Array(length);
      expect(mishScaleF32(v, x, out)).toBe(true);
      expectWithin(out, (i) => v[i] * HELPERS.mishGrad(x[i]), (i) => 4 * EPS * Math.abs(v[i]) + TINY, 'mishScale');
      expect(mishCurvatureF32(v, b, x, out)).toBe(true);
      expectWithin(out, (i) => v[i] * b[i] * HELPERS.mishGrad2(x[i]), (i) => 4 * EPS * Math.abs(v[i] * b[i]) + TINY, 'mishCurvature');
    }), params);
  });

  it('propagate NaN and take the linear branch at +Infinity', () => {
    const x = Float32Array.of(NaN, Infinity, NaN, 1);
    const ones = new Float32Array(4).fill(1);
    const out = new Float32Array(4);
    mishF32(x, out);
    expect([...out.slice(0, 3)]).toEqual([NaN, Infinity, NaN]);
    mishScaleF32(ones, x, out);
    expect([...out.slice(0, 3)]).toEqual([NaN, 1, NaN]);
    mishCurvatureF32(ones, ones, x, out);
    expect([...out.slice(0, 3)]).toEqual([NaN, 0, NaN]);
  });

  it('the Mish ops in float32 (forward, JVP, VJP and the curvature) agree with float64 to float32 tolerance', () => {
    fc.assert(fc.property(fc.array(inputArb, { minLength: 1, maxLength: 200 }), (values) => {
      const x64 = new ConcreteTensor(Float64Array.from(values), [values.length]);
      const t64 = new ConcreteTensor(Float64Array.from(values, (_, i) => Math.fround(Math.sin(i + 1))), [values.length]);
      const [x32, t32] = [cast(x64, 'float32'), cast(t64, 'float32')];
      const pairs: [string, () => number[], () => number[], number][] = [
        ['mish', () => mish(x32).toArray(), () => mish(x64).toArray(), 0],
        ['jvp', () => jvp(mish, [x32], [t32])[1].toArray(), () => jvp(mish, [x64], [t64])[1].toArray(), 1],
        ['vjp', () => vjp(mish, x32)[1](t32)[0].toArray(), () => vjp(mish, x64)[1](t64)[0].toArray(), 1],
        ['mishScale', () => mishScale(t32, x32).toArray(), () => mishScale(t64, x64).toArray(), 1],
        ['mishCurvature', () => mishCurvature(t32, t32, x32).toArray(), () => mishCurvature(t64, t64, x64).toArray(), 1],
      ];
      for (const [what, f32, f64, absolute] of pairs) {
        const got = Float32Array.from(f32());
        const want = f64();
        expectWithin(got, (i) => want[i], (i) => (absolute ? 4 * EPS : 4 * EPS * Math.abs(want[i])) + TINY, what);
      }
    }), params);
  });
});
