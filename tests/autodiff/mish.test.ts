/**
 * Mish and its fused derivatives against the composite definition x tanh(softplus(x)),
 * to the third derivative, over a range that includes the x > 20 shortcut.
 */
import { describe, expect, it } from 'vitest';
import { expFast } from '../../src/autodiff/kernels/scalar-functions.js';
import { ConcreteTensor, Rng, type Tensor, jvp, mish, mul, reshape, softplus, tanh } from '../../src/autodiff/index.js';

const SEED = 72026;

describe(`fused Mish (seed ${SEED})`, () => {
  it('matches x tanh(softplus(x)) and its first three derivatives', () => {
    const x = new Rng(SEED).uniform([200], -30, 30);
    const composite = (v: Tensor) => mul(v, tanh(softplus(v)));
    const d = (f: (v: Tensor) => Tensor) => (v: Tensor) => jvp(f, [v], [reshape(new ConcreteTensor(new Float64Array(v.size).fill(1), v.shape), v.shape)])[1];
    const pairs: [(v: Tensor) => Tensor, (v: Tensor) => Tensor][] = [
      [mish, composite],
      [d(mish), d(composite)],
      [d(d(mish)), d(d(composite))],
      [d(d(d(mish))), d(d(d(composite)))],
    ];
    pairs.forEach(([fused, ref], order) => {
      const a = fused(x).toArray();
      const b = ref(x).toArray();
      a.forEach((v, i) => {
        if (Math.abs(v - b[i]) > 1e-12 * (1 + Math.abs(b[i]))) throw new Error(`order ${order}, x = ${x.toArray()[i]}: ${v} vs ${b[i]}`);
      });
    });
  });
});


describe(`expFast, the exponential inside the fused Mish (seed ${SEED})`, () => {
  it('is within 3 ulp of Math.exp over the whole range, and Math.exp outside (-708, 709)', () => {
    const rng = new Rng(SEED);
    const xs = [
      ...rng.uniform([20000], -745, 710).toArray(),
      ...rng.uniform([20000], -1, 1).toArray(),
      ...rng.uniform([2000], -1e-8, 1e-8).toArray(),
      0, -0, 1, -1, 20, -20, 707.9, -707.9, Math.LN2 / 128, -Math.LN2 / 128,
    ];
    for (const x of xs) {
      const want = Math.exp(x);
      if (!Number.isFinite(want)) {
        expect(expFast(x)).toBe(want);
        continue;
      }
      // Subnormal results (x < -708) come from Math.exp itself.
      const err = Math.abs(expFast(x) - want);
      if (!(err <= 3 * 2 ** -52 * want)) throw new Error(`expFast(${x}) = ${expFast(x)}, Math.exp = ${want}`);
    }
    for (const x of [Infinity, -Infinity, 709, 800, -708, -1000]) expect(expFast(x)).toBe(Math.exp(x));
    expect(expFast(NaN)).toBeNaN();
  });
});
