/**
 * 1-D convolution over [batch, channels, length], PyTorch semantics (cross-correlation, no
 * bias here: add it with broadcasting). Convolution is bilinear in (input, weight), so its
 * derivatives are convolutions again. Three primitives close the set:
 *
 *   conv1d(x, w)                y = A_w x
 *   conv1dInputAdjoint(dy, w)   A_w^T dy          (= PyTorch's conv_transpose1d)
 *   conv1dWeightAdjoint(x, dy)  the w with <w, v> = <dy, A_v x> for every v
 *
 * and each one's rules are written with the other two, so any order of derivative works.
 */
import { type MaybeTensor, type Primitive, bind, primitive } from '../core.js';
import { ShapeError } from '../errors.js';
import { perDtype } from '../kernels/compile.js';
import {
  type Conv1dGeometry,
  conv1d as conv1dKernel,
  conv1dInputAdjoint as inputAdjointKernel,
  conv1dWeightAdjoint as weightAdjointKernel,
} from '../kernels/index.js';
import { ConcreteTensor, type Tensor, allocate, convert, promote } from '../tensor.js';
import { add } from './elementwise.js';
import { broadcastTo, reshape, slice, sum } from './structural.js';

export interface ConvOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
}

interface ConvParams {
  stride: number;
  padding: number;
  dilation: number;
}

/** Output length of a convolution, as PyTorch defines it. */
export function convOutputLength(inLength: number, kernelSize: number, p: ConvParams): number {
  return Math.floor((inLength + 2 * p.padding - p.dilation * (kernelSize - 1) - 1) / p.stride) + 1;
}

function geometry(x: { shape: readonly number[] }, w: { shape: readonly number[] }, inLength: number, outLength: number, p: ConvParams): Conv1dGeometry {
  return {
    batch: x.shape[0],
    inChannels: w.shape[1],
    outChannels: w.shape[0],
    inLength,
    outLength,
    kernelSize: w.shape[2],
    ...p,
  };
}

/** Run a kernel in the promoted dtype of its two operands. */
function run(
  a: ConcreteTensor,
  b: ConcreteTensor,
  shape: number[],
  kernel: (a: Float64Array | Float32Array, b: Float64Array | Float32Array, out: Float64Array | Float32Array) => void,
): ConcreteTensor {
  const dtype = promote(a.dtype, b.dtype);
  const out = allocate(dtype, shape.reduce((s, d) => s * d, 1));
  kernel(convert(a, dtype).data, convert(b, dtype).data, out);
  return new ConcreteTensor(out, shape);
}

const sumTangents = (a: MaybeTensor, b: MaybeTensor): MaybeTensor => (a === null ? b : b === null ? a : add(a, b));

export const conv1dP: Primitive<ConvParams> = primitive({
  name: 'conv1d',
  impl: ([x, w], p) => {
    const outLength = convOutputLength(x.shape[2], w.shape[2], p);
    const g = geometry(x, w, x.shape[2], outLength, p);
    return run(x, w, [g.batch, g.outChannels, outLength], (xd, wd, out) => conv1dKernel(xd, wd, out, g));
  },
  jvp: ([x, w], [tx, tw], p) => [
    bind(conv1dP, [x, w], p),
    sumTangents(tx && bind(conv1dP, [tx, w], p), tw && bind(conv1dP, [x, tw], p)),
  ],
  vjp: (ct, [x, w], _y, p, needs) => [
    needs[0] ? bind(conv1dInputAdjointP, [ct, w], { ...p, inLength: x.shape[2] }) : null,
    needs[1] ? bind(conv1dWeightAdjointP, [x, ct], { ...p, kernelSize: w.shape[2] }) : null,
  ],
});

export const conv1dInputAdjointP: Primitive<ConvParams & { inLength: number }> = primitive({
  name: 'conv1dInputAdjoint',
  impl: ([dy, w], p) => {
    const g = geometry(dy, w, p.inLength, dy.shape[2], p);
    return run(dy, w, [g.batch, g.inChannels, p.inLength], (dyd, wd, out) => inputAdjointKernel(dyd, wd, out, g));
  },
  jvp: ([dy, w], [tdy, tw], p) => [
    bind(conv1dInputAdjointP, [dy, w], p),
    sumTangents(tdy && bind(conv1dInputAdjointP, [tdy, w], p), tw && bind(conv1dInputAdjointP, [dy, tw], p)),
  ],
  vjp: (ct, [dy, w], _y, { inLength: _, ...p }, needs) => [
    needs[0] ? cropLength(bind(conv1dP, [ct, w], p), dy.shape[2]) : null,
    needs[1] ? bind(conv1dWeightAdjointP, [ct, dy], { ...p, kernelSize: w.shape[2] }) : null,
  ],
});

export const conv1dWeightAdjointP: Primitive<ConvParams & { kernelSize: number }> = primitive({
  name: 'conv1dWeightAdjoint',
  impl: ([x, dy], p) => {
    const wShape = [dy.shape[1], x.shape[1], p.kernelSize];
    const g = geometry(x, { shape: wShape }, x.shape[2], dy.shape[2], p);
    return run(x, dy, wShape, (xd, dyd, out) => weightAdjointKernel(xd, dyd, out, g));
  },
  jvp: ([x, dy], [tx, tdy], p) => [
    bind(conv1dWeightAdjointP, [x, dy], p),
    sumTangents(tx && bind(conv1dWeightAdjointP, [tx, dy], p), tdy && bind(conv1dWeightAdjointP, [x, tdy], p)),
  ],
  vjp: (ct, [x, dy], _y, { kernelSize: _, ...p }, needs) => [
    needs[0] ? bind(conv1dInputAdjointP, [dy, ct], { ...p, inLength: x.shape[2] }) : null,
    needs[1] ? cropLength(bind(conv1dP, [x, ct], p), dy.shape[2]) : null,
  ],
});

/** out[n, c, t] += bias[c], in place; one compiled copy per dtype (see perDtype). */
function addBias(out: Float64Array | Float32Array, bias: Float64Array | Float32Array, batch: number, channels: number, length: number): void {
  for (let n = 0, e = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const v = bias[c];
      for (const end = e + length; e < end; e++) out[e] += v;
    }
  }
}
const addBiasLoops = perDtype(addBias);

/**
 * conv1d(x, w) + b[o] in one primitive: the bias is added in place into the convolution's
 * fresh output (its kernel just wrote it, so it is in cache), where add() with a broadcast
 * [1, C, 1] bias made a second pass and a second array of the activation's size. Rules in
 * terms of conv1d and its adjoints, plus the bias's sum over batch and positions.
 */
export const conv1dBiasP: Primitive<ConvParams> = primitive({
  name: 'conv1dBias',
  impl: ([x, w, b], p) => {
    const y = conv1dP.impl([x, w], p);
    const out = b.dtype === y.dtype ? y : convert(y, promote(y.dtype, b.dtype));
    const [batch, channels, length] = out.shape;
    addBiasLoops[out.dtype](out.data, b.data, batch, channels, length);
    return out;
  },
  jvp: ([x, w, b], [tx, tw, tb], p) => {
    const y = bind(conv1dBiasP, [x, w, b], p);
    let t: MaybeTensor = null;
    // The bias tangent rides on the tx term when there is one (one fused op), else it is added.
    if (tx !== null) t = tb !== null ? bind(conv1dBiasP, [tx, w, tb], p) : bind(conv1dP, [tx, w], p);
    if (tw !== null) t = sumTangents(t, bind(conv1dP, [x, tw], p));
    if (tb !== null && tx === null) {
      const perChannel = reshape(tb, [1, tb.shape[0], 1]);
      t = t === null ? broadcastTo(perChannel, y.shape) : add(t, perChannel);
    }
    return [y, t];
  },
  vjp: (ct, [x, w], _y, p, needs) => [
    needs[0] ? bind(conv1dInputAdjointP, [ct, w], { ...p, inLength: x.shape[2] }) : null,
    needs[1] ? bind(conv1dWeightAdjointP, [x, ct], { ...p, kernelSize: w.shape[2] }) : null,
    needs[2] ? sum(ct, [0, 2]) : null,
  ],
});

/** conv1d(x, w, options) + bias [outChannels] broadcast over batch and positions, fused (conv1dBiasP). */
export function conv1dBias(x: Tensor, w: Tensor, bias: Tensor, options: ConvOptions = {}): Tensor {
  const p = checkConv1d(x, w, options);
  if (bias.ndim !== 1 || bias.shape[0] !== w.shape[0]) {
    throw new ShapeError('conv1d', [x.shape, w.shape, bias.shape], `expects a bias [${w.shape[0]}]`);
  }
  return bind(conv1dBiasP, [x, w, bias], p);
}

/**
 * The first `length` positions of a conv1d output. Where a transposed convolution has an
 * outputPadding of at least its stride (allowed when the dilation is larger), conv1d over its
 * output yields more positions than the transposed convolution had inputs; the extra ones
 * correspond to no input and are not part of the adjoint.
 */
function cropLength(y: Tensor, length: number): Tensor {
  return y.shape[2] === length ? y : slice(y, [{}, {}, { stop: length }]);
}

function convParams(op: string, shapes: (readonly number[])[], o: ConvOptions): ConvParams {
  const p = { stride: o.stride ?? 1, padding: o.padding ?? 0, dilation: o.dilation ?? 1 };
  if (!(Number.isInteger(p.stride) && p.stride >= 1 && Number.isInteger(p.dilation) && p.dilation >= 1)) {
    throw new ShapeError(op, shapes, `stride ${p.stride} and dilation ${p.dilation} must be positive integers`);
  }
  if (!(Number.isInteger(p.padding) && p.padding >= 0)) {
    throw new ShapeError(op, shapes, `padding ${p.padding} must be a non-negative integer`);
  }
  return p;
}

/** Conv1d: x [batch, inChannels, length], w [outChannels, inChannels, kernel] -> [batch, outChannels, outLength]. */
export function conv1d(x: Tensor, w: Tensor, options: ConvOptions = {}): Tensor {
  return bind(conv1dP, [x, w], checkConv1d(x, w, options));
}

function checkConv1d(x: Tensor, w: Tensor, options: ConvOptions): ConvParams {
  const p = convParams('conv1d', [x.shape, w.shape], options);
  if (x.ndim !== 3 || w.ndim !== 3 || x.shape[1] !== w.shape[1]) {
    throw new ShapeError('conv1d', [x.shape, w.shape], 'expects x [B, Cin, L] and w [Cout, Cin, K]');
  }
  if (convOutputLength(x.shape[2], w.shape[2], p) < 1) {
    throw new ShapeError('conv1d', [x.shape, w.shape], 'the input is shorter than the dilated kernel');
  }
  return p;
}

/**
 * ConvTranspose1d with PyTorch's weight layout w [inChannels, outChannels, kernel]:
 * x [batch, inChannels, length] -> [batch, outChannels, (length - 1) stride - 2 padding +
 * dilation (kernel - 1) + outputPadding + 1]. It is the adjoint of conv1d with the same weight.
 */
export function convTranspose1d(x: Tensor, w: Tensor, options: ConvOptions & { outputPadding?: number } = {}): Tensor {
  const p = convParams('convTranspose1d', [x.shape, w.shape], options);
  const outputPadding = options.outputPadding ?? 0;
  if (x.ndim !== 3 || w.ndim !== 3 || x.shape[1] !== w.shape[0]) {
    throw new ShapeError('convTranspose1d', [x.shape, w.shape], 'expects x [B, Cin, L] and w [Cin, Cout, K]');
  }
  if (!(Number.isInteger(outputPadding) && outputPadding >= 0 && outputPadding < Math.max(p.stride, p.dilation))) {
    throw new ShapeError('convTranspose1d', [x.shape, w.shape], `outputPadding ${outputPadding} must be below stride or dilation`);
  }
  const inLength = (x.shape[2] - 1) * p.stride - 2 * p.padding + p.dilation * (w.shape[2] - 1) + outputPadding + 1;
  if (inLength < 1) throw new ShapeError('convTranspose1d', [x.shape, w.shape], 'the output would be empty');
  return bind(conv1dInputAdjointP, [x, w], { ...p, inLength });
}
