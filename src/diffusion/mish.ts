/**
 * Mish (Misra 2019), mish(x) = x tanh(softplus(x)), as three fused primitives: the value, its
 * first and its second derivative, each one loop with a single `exp`.
 *
 * Why: the U-Net applies Mish to every activation (about 650k values per forward at batch
 * 64), and the composite `x * tanh(softplus(x))` of autodiff/ops runs three passes with three
 * transcendental functions each way; profiling showed it as the largest cost after the
 * convolutions. The Sobolev loss differentiates the network's JVP with respect to the
 * parameters, which evaluates mish'' in the backward pass, hence a fused second derivative too.
 * The third derivative (never needed in training) is obtained by forward mode through the
 * composite formula of mish'', so derivatives of every order stay exact.
 *
 * With n = e^x and w = n (n + 2) = (1 + n)^2 - 1:
 *   T = tanh(softplus(x)) = w / (w + 2),  1 - T^2 = 4 (w + 1) / (w + 2)^2,  s = sigmoid(x) = n / (1 + n)
 *   mish   = x T
 *   mish'  = T + x (1 - T^2) s
 *   mish'' = S (2 + x (1 - s - 2 T s)),  S = (1 - T^2) s
 * For x > 20, T = 1 and s = 1 to double precision (and n^2 would overflow past x = 354).
 */
import {
  ConcreteTensor, type Primitive, type Tensor, add, bind, jvp, mul, ones, primitive, sigmoid, softplus, square, sub, tanh,
} from '../autodiff/index.js';

type Scalar3 = (x: number) => number;

// Each function computes n = e^x once; no temporaries are allocated per element.
const mishValue: Scalar3 = (x) => {
  if (x > 20) return x;
  const n = Math.exp(x);
  const w = n * (n + 2);
  return (x * w) / (w + 2);
};
const mishGradValue: Scalar3 = (x) => {
  if (x > 20) return 1;
  const n = Math.exp(x);
  const w = n * (n + 2);
  const d = w + 2;
  return w / d + (x * 4 * (w + 1) * n) / (d * d * (1 + n));
};
const mishGrad2Value: Scalar3 = (x) => {
  if (x > 20) return 0;
  const n = Math.exp(x);
  const w = n * (n + 2);
  const d = w + 2;
  const T = w / d;
  const s = n / (1 + n);
  const S = ((4 * (w + 1)) / (d * d)) * s;
  return S * (2 + x * (1 - s - 2 * T * s));
};

function map(x: ConcreteTensor, f: Scalar3): ConcreteTensor {
  const src = x.data;
  const out = x.dtype === 'float64' ? new Float64Array(src.length) : new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]);
  return new ConcreteTensor(out, x.shape);
}

/** mish'' written with the engine's ops: differentiable to any order (slow, used only for mish'''). */
function mishGrad2Composite(x: Tensor): Tensor {
  const T = tanh(softplus(x));
  const s = sigmoid(x);
  const S = mul(sub(1, square(T)), s);
  return mul(S, add(2, mul(x, sub(sub(1, s), mul(mul(T, s), 2)))));
}

/** d/dx of an elementwise function, by forward mode with a tangent of ones. */
const elementwiseDerivative = (f: (x: Tensor) => Tensor, x: Tensor): Tensor => jvp(f, [x], [ones(x.shape, x.dtype)])[1];

/** An elementwise primitive whose derivative is the elementwise function `derivative`. */
function elementwise(name: string, value: Scalar3, derivative: (x: Tensor) => Tensor): Primitive<null> {
  const prim: Primitive<null> = primitive({
    name,
    impl: ([x]) => map(x, value),
    jvp: ([x], [t]) => [bind(prim, [x], null), t === null ? null : mul(t, derivative(x))],
    vjp: (ct, [x]) => [mul(ct, derivative(x))],
  });
  return prim;
}

export const mishGrad2P = elementwise('mishGrad2', mishGrad2Value, (x) => elementwiseDerivative(mishGrad2Composite, x));
export const mishGradP = elementwise('mishGrad', mishGradValue, (x) => bind(mishGrad2P, [x], null));
export const mishP = elementwise('mishFused', mishValue, (x) => bind(mishGradP, [x], null));

/** Mish, fused: same values as `x * tanh(softplus(x))` to rounding, every derivative exact. */
export const mishFused = (x: Tensor): Tensor => bind(mishP, [x], null);
/** mish'(x), fused. */
export const mishGrad = (x: Tensor): Tensor => bind(mishGradP, [x], null);
/** mish''(x), fused. */
export const mishGrad2 = (x: Tensor): Tensor => bind(mishGrad2P, [x], null);
