/**
 * The loop primitive underneath `scan` (scan/scan.ts). A `ScanCall` is a step function
 * recorded once as a graph (graph.ts), body(carry, x) -> (carry, y), and a loop length. Its
 * operands are the initial carry, the per-step inputs xs (time on axis 0) and the values the
 * step closes over that some transformation is tracing (the graph's tracer constants, made
 * explicit: JAX's closure conversion). `bindScan` applies it: like `bind`, it finds the top
 * trace among the operands and hands the call to that trace's scan rule (scan/rules.ts);
 * a trace without one, and plain values, run the loop step by step (`unrolledScan`).
 */
import { Trace, Tracer, topTrace } from '../core.js';
import { ShapeError, TransformError } from '../errors.js';
import { type Graph, record, replay } from '../graph.js';
import { reshape, slice } from '../ops/structural.js';
import { sameShape } from '../shape.js';
import { ConcreteTensor, type Tensor, allocate } from '../tensor.js';
import { stackExamples } from '../vmap/trace.js';

export interface ScanCall {
  /** The step: inputs (carry leaves, x leaves), outputs (carry leaves, y leaves). */
  graph: Graph;
  carryCount: number;
  xCount: number;
  yCount: number;
  /** The graph constants that are operands (those that were tracers when it was recorded). */
  constSlots: number[];
  length: number;
  /** Steps per checkpointed segment in reverse mode. */
  checkpoint: number;
  /** Run t = length - 1, ..., 0 (ys are still stored at index t). */
  reverse: boolean;
}

/** How a kind of trace applies a scan to operands it (partly) owns; returns carry leaves then ys leaves. */
export type ScanRule = (trace: Trace, call: ScanCall, operands: Tensor[]) => Tensor[];

const rules = new Map<Function, ScanRule>();

/** Register the scan rule of a kind of trace (its class). */
export function registerScanRule(traceClass: Function, rule: ScanRule): void {
  rules.set(traceClass, rule);
}

/** Apply a scan: through the top trace's rule, or step by step. */
export function bindScan(call: ScanCall, operands: Tensor[]): Tensor[] {
  const top = topTrace(operands, 'scan');
  const rule = top === null ? undefined : rules.get(top.constructor);
  return rule === undefined ? unrolledScan(call, operands) : rule(top as Trace, call, operands);
}

/** Split operands into carry, xs and the constants' values. */
export function splitOperands<T>(call: ScanCall, operands: readonly T[]): [T[], T[], T[]] {
  const c = call.carryCount;
  const x = c + call.xCount;
  return [operands.slice(0, c), operands.slice(c, x), operands.slice(x)];
}

/** The graph's constants with the operand constants put in their slots. */
export function bodyConsts(call: ScanCall, constOperands: readonly Tensor[]): Tensor[] {
  const consts = [...call.graph.consts];
  call.constSlots.forEach((slot, i) => (consts[slot] = constOperands[i]));
  return consts;
}

/** One step: carry and x leaves in, [carry leaves, y leaves] out. */
export function step(call: ScanCall, carry: readonly Tensor[], x: readonly Tensor[], consts: readonly Tensor[]): [Tensor[], Tensor[]] {
  const out = replay(call.graph, [...carry, ...x], consts);
  return [out.slice(0, call.carryCount), out.slice(call.carryCount)];
}

/** Row t of a [T, ...] value. */
export function row(x: Tensor, t: number): Tensor {
  return reshape(slice(x, [t]), x.shape.slice(1));
}

/** The times in the order a call visits them. */
export function order(length: number, reverse: boolean): number[] {
  const ts = Array.from({ length }, (_, t) => t);
  return reverse ? ts.reverse() : ts;
}

/** The loop itself, one step after another: every op runs through bind, on whatever the operands are. */
export function unrolledScan(call: ScanCall, operands: Tensor[]): Tensor[] {
  const [init, xs, constOperands] = splitOperands(call, operands);
  const consts = bodyConsts(call, constOperands);
  let carry = init;
  const ys: Tensor[][] = Array.from({ length: call.yCount }, () => new Array<Tensor>(call.length));
  for (const t of order(call.length, call.reverse)) {
    const [next, y] = step(call, carry, xs.map((x) => row(x, t)), consts);
    carry = next;
    y.forEach((v, j) => (ys[j][t] = v));
  }
  return [...carry, ...ys.map(stackExamples)];
}

/** Numbers to record a step on: the value itself, or a stand-in where it has none to read. */
export function exampleValue(x: Tensor): ConcreteTensor {
  try {
    return x.concrete();
  } catch {
    const data = allocate(x.dtype, x.size);
    data.fill(0.5);
    return new ConcreteTensor(data, x.shape);
  }
}

/** Row 0 of a [T, ...] value's numbers, to record a step on. */
function firstRow(x: Tensor): ConcreteTensor {
  const value = exampleValue(x);
  const n = value.size / value.shape[0];
  return new ConcreteTensor(value.data.slice(0, n), value.shape.slice(1));
}

/**
 * Record `body` (carry leaves, x leaves) -> [carry leaves, y leaves] as a ScanCall over
 * `length` steps, checking that the carry keeps its shapes and dtypes; returns the call and
 * its constant operands.
 */
export function makeScanCall(
  body: (carry: Tensor[], x: Tensor[]) => [Tensor[], Tensor[]],
  init: readonly Tensor[],
  xs: readonly Tensor[],
  options: { length: number; checkpoint: number; reverse: boolean },
): [ScanCall, Tensor[]] {
  let yCount = 0;
  const graph = record((...leaves: Tensor[]) => {
    const [carry, y] = body(leaves.slice(0, init.length), leaves.slice(init.length));
    if (carry.length !== init.length) {
      throw new TransformError(`scan: the step returned ${carry.length} carry leaves for ${init.length}`);
    }
    carry.forEach((c, i) => {
      if (!sameShape(c.shape, init[i].shape)) {
        throw new ShapeError('scan', [init[i].shape, c.shape], `the carry's leaf ${i} changes shape between steps`);
      }
      if (c.dtype !== init[i].dtype) {
        throw new TransformError(`scan: the carry's leaf ${i} changes dtype between steps (${init[i].dtype} to ${c.dtype})`);
      }
    });
    yCount = y.length;
    return [...carry, ...y];
  }, [...init.map(exampleValue), ...xs.map(firstRow)]);
  const constSlots = graph.consts.flatMap((c, i) => (c instanceof Tracer ? [i] : []));
  const call: ScanCall = { graph, carryCount: init.length, xCount: xs.length, yCount, constSlots, ...options };
  return [call, constSlots.map((i) => graph.consts[i])];
}
