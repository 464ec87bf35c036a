/**
 * Elementwise primitives. Each unary primitive is a function f and its derivative f'(x),
 * written with the engine's ops (so it can be differentiated again); forward mode multiplies
 * the tangent by f'(x), reverse mode the cotangent. Binary primitives broadcast like NumPy,
 * and reverse mode sums each cotangent back to its input's shape (`sumToShape`).
 */
import { type MaybeTensor, type Primitive, bind, primitive } from '../core.js';
import { HELPERS, binaryKernel, binaryMap, unaryKernel, unaryMap, whereMap } from '../elementwise-kernels.js';
import { sameShape } from '../shape.js';
import { ConcreteTensor, type DType, type Floats, Tensor, allocate, convert, full, promote, scalar } from '../tensor.js';
import { jvp } from '../forward.js';
import { mishCurvatureF32, mishF32, mishScaleF32 } from '../kernels/index.js';
import { broadcastTo, sumToShape } from './structural.js';

/** An op argument: a tensor, or a plain number that takes the other operand's dtype. */
export type Operand = Tensor | number;

function asTensor(x: Operand, like: Operand): Tensor {
  if (x instanceof Tensor) return x;
  return scalar(x, like instanceof Tensor ? like.dtype : 'float64');
}

// ---------------------------------------------------------------------------------------
// Unary primitives

/** `expr` is the scalar formula in `x` (compiled into the op's loop); `derivative` gives f'(x) from x and y = f(x). */
function unaryPrimitive(
  name: string,
  expr: string,
  derivative: (x: Tensor, y: Tensor) => Tensor,
): Primitive<null> {
  const kernel = unaryKernel(expr);
  const prim: Primitive<null> = primitive({
    name,
    impl: ([x]) => unaryMap(x, kernel),
    jvp: ([x], [t]) => {
      const y = bind(prim, [x], null);
      return [y, t === null ? null : mul(t, derivative(x, y))];
    },
    vjp: (ct, [x], y) => [mul(ct, derivative(x, y))],
  });
  return prim;
}

export const negP = unaryPrimitive('neg', '-x', (x) => scalar(-1, x.dtype));
export const expP = unaryPrimitive('exp', 'Math.exp(x)', (_x, y) => y);
export const logP = unaryPrimitive('log', 'Math.log(x)', (x) => reciprocal(x));
export const sinP = unaryPrimitive('sin', 'Math.sin(x)', (x) => cos(x));
export const cosP = unaryPrimitive('cos', 'Math.cos(x)', (x) => neg(sin(x)));
export const tanhP = unaryPrimitive('tanh', 'Math.tanh(x)', (_x, y) => sub(1, square(y)));
export const sigmoidP = unaryPrimitive('sigmoid', 'sigmoid(x)', (_x, y) => mul(y, sub(1, y)));
export const softplusP = unaryPrimitive('softplus', 'softplus(x)', (x) => sigmoid(x));
export const reluP = unaryPrimitive('relu', 'x > 0 ? x : 0', (x) => greater(x, 0));
export const sqrtP = unaryPrimitive('sqrt', 'Math.sqrt(x)', (_x, y) => div(0.5, y));
export const squareP = unaryPrimitive('square', 'x * x', (x) => mul(x, 2));
export const absP = unaryPrimitive('abs', 'Math.abs(x)', (x) => sign(x));
/**
 * Mish (Misra 2019), x tanh(softplus(x)), the U-Net's activation, with its first and second
 * derivatives as fused primitives: one loop and one exp each, where the composite formula
 * runs three transcendental passes. The Sobolev loss differentiates a JVP of the network, so
 * its backward pass evaluates mish''; the third derivative (never needed in training) comes
 * from forward mode through the composite formula of mish'', so every order stays exact.
 */
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
const mishKernel = unaryKernel('mish(x)');
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
export const mishCurvatureP: Primitive<null> = primitive({
  name: 'mishCurvature',
  impl: ([a, b, x]) => {
    const out = allocate(promote(promote(a.dtype, b.dtype), x.dtype), x.size);
    if (out instanceof Float32Array && a.data instanceof Float32Array && b.data instanceof Float32Array && x.data instanceof Float32Array &&
      mishCurvatureF32(a.data, b.data, x.data, out)) return new ConcreteTensor(out, x.shape);
    mishCurvatureLoops[out instanceof Float32Array ? 'float32' : 'float64'](out, a.data, b.data, x.data, out.length);
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
/** One compiled loop per output dtype, each monomorphic (see elementwise-kernels.ts). */
const makeMishCurvatureLoop = () => new Function(
  'mishGrad2',
  'return function (out, a, b, x, n) { for (let i = 0; i < n; i++) out[i] = a[i] * b[i] * mishGrad2(x[i]); };',
)(HELPERS.mishGrad2) as (out: Floats, a: Floats, b: Floats, x: Floats, n: number) => void;
const mishCurvatureLoops = { float64: makeMishCurvatureLoop(), float32: makeMishCurvatureLoop() };

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

export const neg = (x: Tensor): Tensor => bind(negP, [x], null);
export const exp = (x: Tensor): Tensor => bind(expP, [x], null);
export const log = (x: Tensor): Tensor => bind(logP, [x], null);
export const sin = (x: Tensor): Tensor => bind(sinP, [x], null);
export const cos = (x: Tensor): Tensor => bind(cosP, [x], null);
export const tanh = (x: Tensor): Tensor => bind(tanhP, [x], null);
export const sigmoid = (x: Tensor): Tensor => bind(sigmoidP, [x], null);
/** log(1 + e^x), evaluated without overflow. */
export const softplus = (x: Tensor): Tensor => bind(softplusP, [x], null);
/** max(x, 0); the derivative at 0 is taken as 0. */
export const relu = (x: Tensor): Tensor => bind(reluP, [x], null);
export const sqrt = (x: Tensor): Tensor => bind(sqrtP, [x], null);
export const square = (x: Tensor): Tensor => bind(squareP, [x], null);
/** |x|; the derivative at 0 is taken as 0 (sign(0) = 0). */
export const abs = (x: Tensor): Tensor => bind(absP, [x], null);
/** Mish (Misra 2019): x tanh(softplus(x)), the U-Net's activation. */
export const mish = (x: Tensor): Tensor => bind(mishP, [x], null);
/** v * mish'(x), fused (see mishScaleP). */
export const mishScale = (v: Tensor, x: Tensor): Tensor => bind(mishScaleP, [v, x], null);
/** The derivative of mish, as its own op so that it is one loop too. */
export const mishGrad = (x: Tensor): Tensor => bind(mishGradP, [x], null);
/** The second derivative of mish, fused. */
export const mishGrad2 = (x: Tensor): Tensor => bind(mishGrad2P, [x], null);
export const reciprocal = (x: Tensor): Tensor => div(1, x);

// ---------------------------------------------------------------------------------------
// Piecewise-constant functions: their derivative is zero wherever it exists.

function constantPrimitive(name: string, impl: (inputs: ConcreteTensor[]) => ConcreteTensor): Primitive<null> {
  const prim: Primitive<null> = primitive({
    name,
    impl,
    jvp: (primals) => [bind(prim, primals, null), null],
    vjp: (_ct, primals) => primals.map(() => null),
  });
  return prim;
}

const compare = (name: string, test: string) => {
  const kernel = binaryKernel(`${test} ? 1 : 0`);
  return constantPrimitive(name, ([a, b]) => binaryMap(name, a, b, kernel));
};

export const greaterP = compare('greater', 'x > y');
export const greaterEqualP = compare('greaterEqual', 'x >= y');
export const lessP = compare('less', 'x < y');
export const lessEqualP = compare('lessEqual', 'x <= y');
export const equalP = compare('equal', 'x === y');
const signKernel = unaryKernel('x > 0 ? 1 : x < 0 ? -1 : 0');
export const signP = constantPrimitive('sign', ([x]) => unaryMap(x, signKernel));

/** 1 where a > b, else 0 (a mask in the operands' dtype; no derivative). */
export const greater = (a: Operand, b: Operand): Tensor => bind(greaterP, [asTensor(a, b), asTensor(b, a)], null);
export const greaterEqual = (a: Operand, b: Operand): Tensor =>
  bind(greaterEqualP, [asTensor(a, b), asTensor(b, a)], null);
export const less = (a: Operand, b: Operand): Tensor => bind(lessP, [asTensor(a, b), asTensor(b, a)], null);
export const lessEqual = (a: Operand, b: Operand): Tensor => bind(lessEqualP, [asTensor(a, b), asTensor(b, a)], null);
export const equal = (a: Operand, b: Operand): Tensor => bind(equalP, [asTensor(a, b), asTensor(b, a)], null);
export const sign = (x: Tensor): Tensor => bind(signP, [x], null);

// ---------------------------------------------------------------------------------------
// Binary arithmetic

/** A tangent in the output's shape: broadcast it if an operand was smaller than the output. */
function fitTangent(t: Tensor, shape: readonly number[]): Tensor {
  return t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) ? t : broadcastTo(t, shape);
}

function addTangents(a: MaybeTensor, b: MaybeTensor): MaybeTensor {
  if (a === null) return b;
  if (b === null) return a;
  return add(a, b);
}

const addKernel = binaryKernel('x + y', 'add');
export const addP: Primitive<null> = primitive({
  name: 'add',
  impl: ([a, b]) => binaryMap('add', a, b, addKernel),
  jvp: ([a, b], [ta, tb]) => {
    const y = add(a, b);
    const t = addTangents(ta, tb);
    return [y, t === null ? null : fitTangent(t, y.shape)];
  },
  vjp: (ct, [a, b], _y, _p, needs) => [
    needs[0] ? sumToShape(ct, a.shape) : null,
    needs[1] ? sumToShape(ct, b.shape) : null,
  ],
});

const subKernel = binaryKernel('x - y', 'sub');
export const subP: Primitive<null> = primitive({
  name: 'sub',
  impl: ([a, b]) => binaryMap('sub', a, b, subKernel),
  jvp: ([a, b], [ta, tb]) => {
    const y = sub(a, b);
    const t = tb === null ? ta : ta === null ? neg(tb) : sub(ta, tb);
    return [y, t === null ? null : fitTangent(t, y.shape)];
  },
  vjp: (ct, [a, b], _y, _p, needs) => [
    needs[0] ? sumToShape(ct, a.shape) : null,
    needs[1] ? sumToShape(neg(ct), b.shape) : null,
  ],
});

const mulKernel = binaryKernel('x * y', 'mul');
export const mulP: Primitive<null> = primitive({
  name: 'mul',
  impl: ([a, b]) => binaryMap('mul', a, b, mulKernel),
  jvp: ([a, b], [ta, tb]) => {
    const y = mul(a, b);
    const t = addTangents(ta === null ? null : mul(ta, b), tb === null ? null : mul(a, tb));
    return [y, t === null ? null : fitTangent(t, y.shape)];
  },
  vjp: (ct, [a, b], _y, _p, needs) => [
    needs[0] ? sumToShape(mul(ct, b), a.shape) : null,
    needs[1] ? sumToShape(mul(a, ct), b.shape) : null,
  ],
});

const divKernel = binaryKernel('x / y');
export const divP: Primitive<null> = primitive({
  name: 'div',
  impl: ([a, b]) => binaryMap('div', a, b, divKernel),
  jvp: ([a, b], [ta, tb]) => {
    const y = div(a, b);
    // d(a / b) = (da - y db) / b
    const numerator = tb === null ? ta : ta === null ? neg(mul(y, tb)) : sub(ta, mul(y, tb));
    return [y, numerator === null ? null : fitTangent(div(numerator, b), y.shape)];
  },
  vjp: (ct, [a, b], y, _p, needs) => {
    const scaled = div(ct, b);
    return [needs[0] ? sumToShape(scaled, a.shape) : null, needs[1] ? sumToShape(neg(mul(scaled, y)), b.shape) : null];
  },
});

const powKernel = binaryKernel('Math.pow(x, y)');
export const powP: Primitive<null> = primitive({
  name: 'pow',
  impl: ([a, b]) => binaryMap('pow', a, b, powKernel),
  jvp: ([a, b], [ta, tb]) => {
    const y = pow(a, b);
    // d(a^b) = b a^(b-1) da + log(a) a^b db; the second term only when b varies.
    const t = addTangents(
      ta === null ? null : mul(ta, mul(b, pow(a, sub(b, 1)))),
      tb === null ? null : mul(tb, mul(log(a), y)),
    );
    return [y, t === null ? null : fitTangent(t, y.shape)];
  },
  vjp: (ct, [a, b], y, _p, needs) => [
    needs[0] ? sumToShape(mul(ct, mul(b, pow(a, sub(b, 1)))), a.shape) : null,
    needs[1] ? sumToShape(mul(ct, mul(log(a), y)), b.shape) : null,
  ],
});

export const add = (a: Operand, b: Operand): Tensor => bind(addP, [asTensor(a, b), asTensor(b, a)], null);
export const sub = (a: Operand, b: Operand): Tensor => bind(subP, [asTensor(a, b), asTensor(b, a)], null);
export const mul = (a: Operand, b: Operand): Tensor => bind(mulP, [asTensor(a, b), asTensor(b, a)], null);
export const div = (a: Operand, b: Operand): Tensor => bind(divP, [asTensor(a, b), asTensor(b, a)], null);
/** a^b elementwise; differentiable in b only where a > 0. */
export const pow = (a: Operand, b: Operand): Tensor => bind(powP, [asTensor(a, b), asTensor(b, a)], null);

// ---------------------------------------------------------------------------------------
// Selection and identity-like primitives

export const whereP: Primitive<null> = primitive({
  name: 'where',
  impl: ([c, a, b]) => whereMap(c, a, b),
  jvp: ([c, a, b], [, ta, tb]) => {
    const y = where(c, a, b);
    if (ta === null && tb === null) return [y, null];
    const t = where(c, ta ?? scalar(0, y.dtype), tb ?? scalar(0, y.dtype));
    return [y, fitTangent(t, y.shape)];
  },
  vjp: (ct, [c, a, b], _y, _p, needs) => {
    const zero = scalar(0, ct.dtype);
    return [
      null,
      needs[1] ? sumToShape(where(c, ct, zero), a.shape) : null,
      needs[2] ? sumToShape(where(c, zero, ct), b.shape) : null,
    ];
  },
});

/** Elementwise `cond != 0 ? a : b`, broadcasting all three; no derivative flows into `cond`. */
export const where = (cond: Tensor, a: Operand, b: Operand): Tensor =>
  bind(whereP, [cond, asTensor(a, b), asTensor(b, a)], null);

export const castP: Primitive<DType> = primitive({
  name: 'cast',
  impl: ([x], dtype) => convert(x, dtype),
  jvp: ([x], [t], dtype) => [cast(x, dtype), t === null ? null : cast(t, dtype)],
  vjp: (ct, [x]) => [cast(ct, x.dtype)],
});

/** The same values in another dtype; derivatives flow through, converted back. */
export const cast = (x: Tensor, dtype: DType): Tensor => (x.dtype === dtype ? x : bind(castP, [x], dtype));

export const stopGradientP: Primitive<null> = primitive({
  name: 'stopGradient',
  impl: ([x]) => x,
  jvp: ([x]) => [stopGradient(x), null],
  vjp: () => [null],
});

/** The identity, but no transformation sees a derivative through it, at any level. */
export const stopGradient = (x: Tensor): Tensor => bind(stopGradientP, [x], null);
