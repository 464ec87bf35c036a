/**
 * Lower a staged graph to a scalar program: every tensor becomes an array of scalar node
 * ids, and every primitive a small loop that builds its elements. Moves (reshape, slice,
 * transpose, concat, broadcast) only rearrange ids, so they cost nothing at run time.
 *
 * Each primitive needs a scalar rule here to be jitted; `registerScalarRule` lets modules
 * outside autodiff (linear algebra, say) add theirs.
 */
import { TransformError } from '../errors.js';
import { walk } from '../kernels/walk.js';
import { type Shape, broadcastShapes, broadcastStrides, sizeOf, stridesOf } from '../shape.js';
import { type Graph } from './stage.js';
import { type ScalarOp, ScalarProgram } from './scalar.js';

/** A tensor in the scalar program: its shape and the node id of each element (row-major). */
export interface ScalarTensor {
  shape: Shape;
  ids: number[];
}

export type ScalarRule = (program: ScalarProgram, inputs: ScalarTensor[], params: never) => ScalarTensor;

const rules = new Map<string, ScalarRule>();

export function registerScalarRule(primitiveName: string, rule: ScalarRule): void {
  rules.set(primitiveName, rule);
}

/** Elementwise op over broadcast inputs. */
function elementwise(op: ScalarOp): ScalarRule {
  return (p, inputs) => {
    const shape = broadcastShapes(op, ...inputs.map((t) => t.shape));
    const ids = new Array<number>(sizeOf(shape));
    walk(shape, inputs.map((t) => broadcastStrides(t.shape, shape)), (o, offsets, n, inner) => {
      for (let j = 0; j < n; j++) ids[o + j] = p.apply(op, ...inputs.map((t, k) => t.ids[offsets[k] + j * inner[k]]));
    });
    return { shape, ids };
  };
}

/** Gather elements: out[o] = x[index[o]]. */
function gather(x: ScalarTensor, shape: Shape, strides: number[], base = 0): ScalarTensor {
  const ids = new Array<number>(sizeOf(shape));
  walk(shape, [strides], (o, [i], n, [d]) => {
    for (let j = 0; j < n; j++) ids[o + j] = x.ids[base + i + j * d];
  });
  return { shape, ids };
}

for (const [name, op] of [
  ['neg', 'neg'], ['exp', 'exp'], ['log', 'log'], ['sin', 'sin'], ['cos', 'cos'], ['tanh', 'tanh'],
  ['sigmoid', 'sigmoid'], ['softplus', 'softplus'], ['mish', 'mish'], ['mishGrad', 'mishGrad'], ['mishGrad2', 'mishGrad2'], ['relu', 'relu'], ['sqrt', 'sqrt'], ['square', 'square'],
  ['abs', 'abs'], ['sign', 'sign'], ['add', 'add'], ['sub', 'sub'], ['mul', 'mul'], ['div', 'div'], ['pow', 'pow'],
  ['greater', 'gt'], ['greaterEqual', 'ge'], ['less', 'lt'], ['lessEqual', 'le'], ['equal', 'eq'], ['where', 'select'],
] as const) {
  registerScalarRule(name, elementwise(op));
}

registerScalarRule('stopGradient', (_p, [x]) => x);
registerScalarRule('cast', ((p: ScalarProgram, [x]: ScalarTensor[], dtype: string) =>
  dtype === 'float32' ? { shape: x.shape, ids: x.ids.map((i) => p.apply('fround', i)) } : x) as ScalarRule);
registerScalarRule('reshape', ((_p: ScalarProgram, [x]: ScalarTensor[], shape: Shape) => ({ shape, ids: x.ids })) as ScalarRule);
registerScalarRule('broadcastTo', ((_p: ScalarProgram, [x]: ScalarTensor[], shape: Shape) =>
  gather(x, shape, broadcastStrides(x.shape, shape))) as ScalarRule);
registerScalarRule('transpose', ((_p: ScalarProgram, [x]: ScalarTensor[], perm: number[]) => {
  const strides = stridesOf(x.shape);
  return gather(x, perm.map((a) => x.shape[a]), perm.map((a) => strides[a]));
}) as ScalarRule);

interface SliceParams { begin: number[]; step: number[]; shape: number[]; full: number[] }
const sliceBase = (p: SliceParams) => {
  const strides = stridesOf(p.full);
  return { strides: p.step.map((s, i) => s * strides[i]), base: p.begin.reduce((s, b, i) => s + b * strides[i], 0) };
};
registerScalarRule('slice', ((_p: ScalarProgram, [x]: ScalarTensor[], params: SliceParams) => {
  const { strides, base } = sliceBase(params);
  return gather(x, params.shape, strides, base);
}) as ScalarRule);
registerScalarRule('embedSlice', ((p: ScalarProgram, [x]: ScalarTensor[], params: SliceParams) => {
  const ids = new Array<number>(sizeOf(params.full)).fill(p.constant(0));
  const { strides, base } = sliceBase(params);
  walk(params.shape, [strides], (o, [i], n, [d]) => {
    for (let j = 0; j < n; j++) ids[base + i + j * d] = x.ids[o + j];
  });
  return { shape: params.full, ids };
}) as ScalarRule);

registerScalarRule('concat', ((_p: ScalarProgram, xs: ScalarTensor[], axis: number) => {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
  const outer = sizeOf(shape.slice(0, axis));
  const ids: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const row = sizeOf(x.shape.slice(axis));
      for (let j = 0; j < row; j++) ids.push(x.ids[o * row + j]);
    }
  }
  return { shape, ids };
}) as ScalarRule);

registerScalarRule('sum', ((p: ScalarProgram, [x]: ScalarTensor[], { axes, keepdims }: { axes: number[]; keepdims: boolean }) => {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const acc = new Array<number>(sizeOf(kept)).fill(p.constant(0));
  walk(x.shape, [broadcastStrides(kept, x.shape)], (o, [k], n, [dk]) => {
    for (let j = 0; j < n; j++) acc[k + j * dk] = p.apply('add', acc[k + j * dk], x.ids[o + j]);
  });
  return { shape: keepdims ? kept : x.shape.filter((_, i) => !axes.includes(i)), ids: acc };
}) as ScalarRule);

registerScalarRule('matmul', ((p: ScalarProgram, [a, b]: ScalarTensor[], { transA, transB }: { transA: boolean; transB: boolean }) => {
  const ar = a.shape[a.shape.length - 2];
  const ac = a.shape[a.shape.length - 1];
  const br = b.shape[b.shape.length - 2];
  const bc = b.shape[b.shape.length - 1];
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const n = transB ? br : bc;
  const batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const aBatch = broadcastStrides(a.shape.slice(0, -2).map(Number), batchShape);
  const bBatch = broadcastStrides(b.shape.slice(0, -2).map(Number), batchShape);
  const batches = sizeOf(batchShape);
  const ids: number[] = [];
  const batchIndex = new Array<number>(batchShape.length).fill(0);
  for (let bi = 0; bi < batches; bi++) {
    // Offsets of this batch's matrices (matrix-sized blocks).
    let aOff = 0;
    let bOff = 0;
    batchIndex.forEach((v, i) => {
      aOff += v * aBatch[i];
      bOff += v * bBatch[i];
    });
    aOff *= ar * ac;
    bOff *= br * bc;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = p.constant(0);
        for (let q = 0; q < k; q++) {
          const x = a.ids[aOff + (transA ? q * ac + i : i * ac + q)];
          const y = b.ids[bOff + (transB ? j * bc + q : q * bc + j)];
          s = p.apply('add', s, p.apply('mul', x, y));
        }
        ids.push(s);
      }
    }
    for (let ax = batchShape.length - 1; ax >= 0; ax--) {
      if (++batchIndex[ax] < batchShape[ax]) break;
      batchIndex[ax] = 0;
    }
  }
  return { shape: [...batchShape, m, n], ids };
}) as ScalarRule);

/** Lower `graph`; returns the scalar program and the node ids of each output. */
export function scalarize(graph: Graph): { program: ScalarProgram; outputs: ScalarTensor[] } {
  const program = new ScalarProgram();
  const values: ScalarTensor[] = [];
  for (let arg = 0; arg < graph.inputCount; arg++) {
    const shape = graph.shapes[arg];
    values[arg] = { shape, ids: Array.from({ length: sizeOf(shape) }, (_, i) => program.input(arg, i)) };
  }
  const constant = (data: ArrayLike<number>, shape: Shape): ScalarTensor => ({
    shape,
    ids: Array.from(data, (v) => program.constant(v)),
  });
  const read = (a: Graph['outputs'][number]) => (a.kind === 'var' ? values[a.id] : constant(a.value.data, a.value.shape));
  for (const eq of graph.equations) {
    const rule = rules.get(eq.prim.name);
    if (rule === undefined) throw new TransformError(`jit: the primitive ${eq.prim.name} has no scalar rule`);
    values[eq.output] = rule(program, eq.inputs.map(read), eq.params as never);
  }
  return { program, outputs: graph.outputs.map(read) };
}
