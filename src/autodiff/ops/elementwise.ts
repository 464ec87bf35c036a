/**
 * Elementwise primitives. Each unary primitive is a function f and its derivative f'(x),
 * written with the engine's ops (so it can be differentiated again); forward mode multiplies
 * the tangent by f'(x), reverse mode the cotangent. Binary primitives broadcast like NumPy,
 * and reverse mode sums each cotangent back to its input's shape (`sumToShape`).
 *
 * An op's `impl` is its scalar formula, compiled into loops by kernels/elementwise.ts (which
 * also picks the float32 WebAssembly paths); Mish and its fused derivatives are in mish.ts.
 */
import { type MaybeTensor, type Primitive, bind, primitive } from '../core.js';
import { binaryKernel, unaryKernel } from '../kernels/elementwise.js';
import { ConcreteTensor, type DType, Tensor, convert, scalar } from '../tensor.js';
import { binaryMap, unaryMap, whereMap } from './elementwise-maps.js';
import { broadcastTo, sumToShape } from './structural.js';

/** An op argument: a tensor, or a plain number that takes the other operand's dtype. */
export type Operand = Tensor | number;

function asTensor(x: Operand, like: Operand): Tensor {
  if (x instanceof Tensor) return x;
  return scalar(x, like instanceof Tensor ? like.dtype : 'float64');
}

// ---------------------------------------------------------------------------------------
// Unary primitives

/**
 * `expr` is the scalar formula in `x` (compiled into the op's loop); `derivative` gives f'(x)
 * from x and y = f(x). Exported for ops/mish.ts; ops/index.ts does not make it public.
 */
export function unaryPrimitive(
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

/** A tangent in the output's shape: broadcast it if an operand was smaller than the output. (Also used by ops/mish.ts.) */
export function fitTangent(t: Tensor, shape: readonly number[]): Tensor {
  return t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) ? t : broadcastTo(t, shape);
}

/** The sum of two tangents, either of which may be a symbolic zero (null). (Also used by ops/mish.ts.) */
export function addTangents(a: MaybeTensor, b: MaybeTensor): MaybeTensor {
  if (a === null) return b;
  if (b === null) return a;
  return add(a, b);
}

const addKernel = binaryKernel('x + y');
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

const subKernel = binaryKernel('x - y');
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

const mulKernel = binaryKernel('x * y');
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
