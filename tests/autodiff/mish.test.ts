/**
 * Mish and its fused derivatives against the composite definition x tanh(softplus(x)),
 * to the third derivative, over a range that includes the x > 20 shortcut.
 */
import { describe, it } from 'vitest';
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

