/**
 * Group normalization as fused primitives. Written with elementwise ops it takes about ten
 * passes over the activations forward and twenty-five backward; the U-Net normalizes after
 * every convolution, so it gets one loop per direction here.
 *
 * Per group of n values, with mean m, sigma = sqrt(var + eps) and xhat = (x - m) / sigma,
 * the Jacobian of x -> xhat applied to a vector v is
 *
 *   P_x(v) = (v - mean(v) - xhat mean(xhat v)) / sigma,
 *
 * and it is symmetric, so the same fused map serves forward mode (P_x(t)) and reverse mode
 * (P_x(ct)). P_x(v) is a primitive too: linear in v (its rules in v are P_x again), while
 * its derivative in x, needed only for second order (the Sobolev term), comes from the
 * composite formula `tangentReference` differentiated by the engine itself.
 */
import { type MaybeTensor, type Primitive, bind, primitive } from '../core.js';
import { jvp } from '../forward.js';
import { vjp } from '../reverse.js';
import { ConcreteTensor, type Tensor, allocate } from '../tensor.js';
import { add, div, mul, sqrt, square, sub } from './elementwise.js';
import { reshape, sum } from './structural.js';

interface NormParams {
  groups: number;
  eps: number;
}

/** Mean and 1 / sigma of each group of `x` (viewed as [groups total, n]). */
function groupStatistics(x: Float64Array | Float32Array, count: number, n: number, eps: number) {
  const mean = new Float64Array(count);
  const invSigma = new Float64Array(count);
  for (let g = 0; g < count; g++) {
    const base = g * n;
    let s = 0;
    for (let i = 0; i < n; i++) s += x[base + i];
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const c = x[base + i] - m;
      v += c * c;
    }
    mean[g] = m;
    invSigma[g] = 1 / Math.sqrt(v / n + eps);
  }
  return { mean, invSigma };
}

function layout(x: ConcreteTensor, groups: number): { count: number; n: number } {
  const count = x.shape[0] * groups;
  return { count, n: x.size / count };
}

export const groupNormalizeP: Primitive<NormParams> = primitive({
  name: 'groupNormalize',
  impl: ([x], { groups, eps }) => {
    const { count, n } = layout(x, groups);
    const { mean, invSigma } = groupStatistics(x.data, count, n, eps);
    const out = allocate(x.dtype, x.size);
    const xd = x.data;
    for (let g = 0; g < count; g++) {
      const m = mean[g];
      const r = invSigma[g];
      for (let i = g * n, end = i + n; i < end; i++) out[i] = (xd[i] - m) * r;
    }
    return new ConcreteTensor(out, x.shape);
  },
  jvp: ([x], [t], p) => [bind(groupNormalizeP, [x], p), t === null ? null : bind(groupNormalizeTangentP, [x, t], p)],
  vjp: (ct, [x], _y, p) => [bind(groupNormalizeTangentP, [x, ct], p)],
});

export const groupNormalizeTangentP: Primitive<NormParams> = primitive({
  name: 'groupNormalizeTangent',
  impl: ([x, v], { groups, eps }) => {
    const { count, n } = layout(x, groups);
    const { mean, invSigma } = groupStatistics(x.data, count, n, eps);
    const out = allocate(v.dtype, v.size);
    const xd = x.data;
    const vd = v.data;
    for (let g = 0; g < count; g++) {
      const base = g * n;
      const m = mean[g];
      const r = invSigma[g];
      let sv = 0;
      let sxv = 0;
      for (let i = base; i < base + n; i++) {
        sv += vd[i];
        sxv += (xd[i] - m) * r * vd[i];
      }
      const meanV = sv / n;
      const meanXhatV = sxv / n;
      for (let i = base; i < base + n; i++) out[i] = (vd[i] - meanV - (xd[i] - m) * r * meanXhatV) * r;
    }
    return new ConcreteTensor(out, v.shape);
  },
  jvp: ([x, v], [tx, tv], p) => {
    const y = bind(groupNormalizeTangentP, [x, v], p);
    const inV: MaybeTensor = tv === null ? null : bind(groupNormalizeTangentP, [x, tv], p);
    const inX: MaybeTensor = tx === null ? null : jvp((xx: Tensor) => tangentReference(xx, v, p), [x], [tx])[1];
    return [y, inV === null ? inX : inX === null ? inV : add(inV, inX)];
  },
  vjp: (ct, [x, v], _y, p, needs) => [
    needs[0] ? vjp((xx: Tensor) => tangentReference(xx, v, p), x)[1](ct)[0] : null,
    needs[1] ? bind(groupNormalizeTangentP, [x, ct], p) : null,
  ],
});

/** P_x(v) written with ops: the definition the fused loop implements, differentiable in x. */
export function tangentReference(x: Tensor, v: Tensor, { groups, eps }: NormParams): Tensor {
  const shape = [x.shape[0], groups, -1];
  const xs = reshape(x, shape);
  const vs = reshape(v, shape);
  const n = xs.shape[2];
  const centered = sub(xs, div(sum(xs, 2, true), n));
  const sigma = sqrt(add(div(sum(square(centered), 2, true), n), eps));
  const xhat = div(centered, sigma);
  const meanV = div(sum(vs, 2, true), n);
  const meanXhatV = div(sum(mul(xhat, vs), 2, true), n);
  return reshape(div(sub(sub(vs, meanV), mul(xhat, meanXhatV)), sigma), x.shape);
}

/** Normalize x [batch, channels, ...] over groups of channels (no scale or shift). */
export function groupNormalize(x: Tensor, groups: number, eps: number): Tensor {
  return bind(groupNormalizeP, [x], { groups, eps });
}
