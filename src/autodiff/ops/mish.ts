/**
 * Mish (Misra 2019), x tanh(softplus(x)), the U-Net's activation, with its first and second
 * derivatives as fused primitives: one loop and one exp each, where the composite formula
 * runs three transcendental passes. The Sobolev loss differentiates a JVP of the network, so
 * its backward pass evaluates mish''; the third derivative (never needed in training) comes
 * from forward mode through the composite formula of mish'', so every order stays exact.
 *
 * In float32 the three ops that training runs (mish, mishScale, mishCurvature) go to the
 * WebAssembly f32x4 kernels of kernels/mish-f32.ts where they can; in float64, and without
 * WebAssembly, to the JavaScript loops of their expressions (kernels/scalar-functions.ts).
 */
import { type Primitive, bind, primitive } from '../core.js';
import { jvp } from '../forward.js';
import { binaryKernel, ternaryKernel, unaryKernel } from '../kernels/elementwise.js';
import { mishCurvatureF32, mishF32, mishScaleF32 } from '../kernels/index.js';
import { sameShape } from '../shape.js';
import { ConcreteTensor, type Tensor, allocate, full, promote } from '../tensor.js';
import { add, addTangents, fitTangent, mul, sigmoid, softplus, square, sub, tanh, unaryPrimitive } from './elementwise.js';
import { binaryMap } from './elementwise-maps.js';
import { sumToShape } from './structural.js';

const mishKernel = unaryKernel('mish(x)');
export const mishP: Primitive<null> = primitive({
  name: 'mish',
  impl: ([x]) => {
    const out = allocate(x.dtype, x.size);
    // float32: the WebAssembly f32x4 kernel (kernels/mish-f32.ts); otherwise, or without WebAssembly, the loop.
    if (!(x.data instanceof Float32Array && out instanceof Float32Array && mishF32(x.data, out))) mishKernel.loops[x.dtype](out, x.data, out.length);
    return new ConcreteTensor(out, x.shape);
  },
  jvp: ([x], [t]) => [mish(x), t === null ? null : mishScale(t, x)],
  vjp: (ct, [x]) => [mishScale(ct, x)],
});
export const mishGradP = unaryPrimitive('mishGrad', 'mishGrad(x)', (x) => mishGrad2(x));
export const mishGrad2P = unaryPrimitive('mishGrad2', 'mishGrad2(x)', (x) => {
  const ones = full(x.shape, 1, x.dtype);
  return jvp(mishGrad2Composite, [x], [ones])[1];
});

/**
 * mishScale(v, x) = v * mish'(x), the product both of mish's rules need, in one pass (the
 * separate mishGrad and mul made two passes and an intermediate array). Linear in v; its
 * derivative in x is v * mish''(x).
 */
const mishScaleKernel = binaryKernel('x * mishGrad(y)');
export const mishScaleP: Primitive<null> = primitive({
  name: 'mishScale',
  impl: ([v, x]) => {
    if (v.data instanceof Float32Array && x.data instanceof Float32Array && sameShape(v.shape, x.shape)) {
      const out = new Float32Array(x.size);
      if (mishScaleF32(v.data, x.data, out)) return new ConcreteTensor(out, x.shape);
    }
    return binaryMap('mishScale', v, x, mishScaleKernel);
  },
  jvp: ([v, x], [tv, tx]) => {
    const y = mishScale(v, x);
    const fromV = tv === null ? null : mishScale(tv, x);
    const fromX = tx === null ? null : mishCurvature(v, tx, x);
    const t = addTangents(fromV, fromX);
    return [y, t === null ? null : fitTangent(t, y.shape)];
  },
  vjp: (ct, [v, x], _y, _p, needs) => [
    needs[0] ? sumToShape(mishScale(ct, x), v.shape) : null,
    needs[1] ? sumToShape(mishCurvature(ct, v, x), x.shape) : null,
  ],
});

/**
 * mishCurvature(a, b, x) = a * b * mish''(x) in one pass (three arrays of one shape), the
 * derivative of mishScale in x, which the Sobolev loss's second-order pass evaluates at every
 * Mish; unfused it was mishGrad2 and two products. Linear in a and in b; its derivative in x
 * needs mish''', taken by forward mode through mishGrad2 (whose own rule is the composite).
 */
const mishCurvatureKernel = ternaryKernel('x * y * mishGrad2(z)');
export const mishCurvatureP: Primitive<null> = primitive({
  name: 'mishCurvature',
  impl: ([a, b, x]) => {
    const out = allocate(promote(promote(a.dtype, b.dtype), x.dtype), x.size);
    if (out instanceof Float32Array && a.data instanceof Float32Array && b.data instanceof Float32Array && x.data instanceof Float32Array &&
      mishCurvatureF32(a.data, b.data, x.data, out)) return new ConcreteTensor(out, x.shape);
    mishCurvatureKernel.loops[out instanceof Float32Array ? 'float32' : 'float64'](out, a.data, b.data, x.data, out.length);
    return new ConcreteTensor(out, x.shape);
  },
  jvp: ([a, b, x], [ta, tb, tx]) => {
    const y = mishCurvature(a, b, x);
    const terms: Tensor[] = [];
    if (ta !== null) terms.push(mishCurvature(ta, b, x));
    if (tb !== null) terms.push(mishCurvature(a, tb, x));
    if (tx !== null) terms.push(mul(mul(a, b), jvp(mishGrad2, [x], [tx])[1]));
    return [y, terms.length === 0 ? null : terms.reduce((s, t) => add(s, t))];
  },
  vjp: (ct, [a, b, x], _y, _p, needs) => [
    needs[0] ? mishCurvature(ct, b, x) : null,
    needs[1] ? mishCurvature(a, ct, x) : null,
    needs[2] ? mul(mul(ct, mul(a, b)), jvp(mishGrad2, [x], [full(x.shape, 1, x.dtype)])[1]) : null,
  ],
});

/** a * b * mish''(x); fused when the three shapes agree (always, inside mishScale's rules). */
export function mishCurvature(a: Tensor, b: Tensor, x: Tensor): Tensor {
  if (sameShape(a.shape, x.shape) && sameShape(b.shape, x.shape)) return bind(mishCurvatureP, [a, b, x], null);
  return mul(mul(a, b), mishGrad2(x));
}

/** mish''(x) = S (2 + x (1 - s - 2 t s)), S = (1 - t^2) s, t = tanh(softplus(x)), s = sigmoid(x), in ops. */
function mishGrad2Composite(x: Tensor): Tensor {
  const t = tanh(softplus(x));
  const s = sigmoid(x);
  const S = mul(sub(1, square(t)), s);
  return mul(S, add(2, mul(x, sub(sub(1, s), mul(mul(t, s), 2)))));
}

/** Mish (Misra 2019): x tanh(softplus(x)), the U-Net's activation. */
export const mish = (x: Tensor): Tensor => bind(mishP, [x], null);
/** v * mish'(x), fused (see mishScaleP). */
export const mishScale = (v: Tensor, x: Tensor): Tensor => bind(mishScaleP, [v, x], null);
/** The derivative of mish, as its own op so that it is one loop too. */
export const mishGrad = (x: Tensor): Tensor => bind(mishGradP, [x], null);
/** The second derivative of mish, fused. */
export const mishGrad2 = (x: Tensor): Tensor => bind(mishGrad2P, [x], null);
