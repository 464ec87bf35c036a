/**
 * How each transformation applies a whole scan (scan/call.ts). Each rule turns a scan of its
 * tracers into a scan one level down, of a new step function, so the loop stays a loop:
 *
 * - forward mode: one scan of (carry, tangent carry), whose step is jvp of the step;
 * - vmap: one scan of batched carries, whose step is vmap of the step (time moved in front);
 * - reverse mode, with checkpointing: the forward pass runs segment by segment (k steps each)
 *   one level down, keeping only the carry at the start of each segment. Its cotangent rule
 *   walks the segments backwards: a scan recomputes the segment's carries from its checkpoint,
 *   then a reverse scan pulls the cotangents back through each step (vjp of the step), carrying
 *   the carry's cotangent and the sum of the constants'. Only one segment's carries, and one
 *   step's tape at a time, are alive at once.
 *
 * The rules build their new steps with the engine's own transformations on the recorded step,
 * and apply them with `bindScan`, so a level below (an outer jvp, vmap or grad) applies its
 * own rule in turn: a Hessian through a rollout, per-example rollout gradients, and so on.
 */
import { type MaybeTensor } from '../core.js';
import { JvpTrace, JvpTracer, jvp } from '../forward.js';
import { add, cast } from '../ops/elementwise.js';
import { broadcastTo, concat, reshape, slice, transpose, zerosLike } from '../ops/structural.js';
import { VjpTrace, vjp } from '../reverse.js';
import { type Tensor, promote } from '../tensor.js';
import { BatchTrace, BatchTracer } from '../vmap/trace.js';
import { vmap } from '../vmap/vmap.js';
import { type ScanCall, bindScan, bodyConsts, makeScanCall, registerScanRule, splitOperands, step } from './call.js';

const options = (call: ScanCall, length = call.length, reverse = call.reverse) => ({ length, checkpoint: call.checkpoint, reverse });

/** Keep the entries of `all` at `active` replaced by `values`. */
function withActive(all: readonly Tensor[], active: readonly number[], values: readonly Tensor[]): Tensor[] {
  const out = [...all];
  active.forEach((i, j) => (out[i] = values[j]));
  return out;
}

const activeIndices = (ts: readonly MaybeTensor[]) => ts.flatMap((t, i) => (t === null ? [] : [i]));

// ---------------------------------------------------------------------------------------
// Forward mode

registerScanRule(JvpTrace, (trace, call, operands) => {
  const own = (a: Tensor): a is JvpTracer => a instanceof JvpTracer && a.trace === trace;
  const [c0, xs, k] = splitOperands(call, operands.map((a) => (own(a) ? a.primal : a)));
  const [tc0, txs, tk] = splitOperands(call, operands.map((a) => (own(a) ? a.tangent : null)));
  const n = call.carryCount;
  // The carry always gets a tangent (a step may make it depend on xs or constants); inputs only
  // where they have one.
  const tcInit = tc0.map((t, i) => t ?? zerosLike(c0[i]));
  const xActive = activeIndices(txs);
  const kActive = activeIndices(tk);
  const body = (carry: Tensor[], x: Tensor[]): [Tensor[], Tensor[]] => {
    const xPrimal = x.slice(0, call.xCount);
    const stepOf = (c: Tensor[], xa: Tensor[], ka: Tensor[]) =>
      step(call, c, withActive(xPrimal, xActive, xa), bodyConsts(call, withActive(k, kActive, ka)));
    const [[c, y], [tc, ty]] = jvp(
      stepOf,
      [carry.slice(0, n), xActive.map((i) => xPrimal[i]), kActive.map((i) => k[i])],
      [carry.slice(n), x.slice(call.xCount), kActive.map((i) => tk[i]!)],
    );
    return [[...c, ...tc], [...y, ...ty]];
  };
  const active = xActive.map((i) => txs[i]!);
  const [inner, consts] = makeScanCall(body, [...c0, ...tcInit], [...xs, ...active], options(call));
  const out = bindScan(inner, [...c0, ...tcInit, ...xs, ...active, ...consts]);
  const ny = call.yCount;
  const jt = trace as JvpTrace;
  return [
    ...out.slice(0, n).map((p, i) => new JvpTracer(jt, p, out[n + i])),
    ...out.slice(2 * n, 2 * n + ny).map((p, j) => new JvpTracer(jt, p, out[2 * n + ny + j])),
  ];
});

// ---------------------------------------------------------------------------------------
// vmap

/** Swap the first two axes: [B, T, ...] <-> [T, B, ...]. */
const swapLeading = (x: Tensor) => transpose(x, [1, 0, ...x.shape.slice(2).map((_, i) => i + 2)]);

registerScanRule(BatchTrace, (trace, call, operands) => {
  const bt = trace as BatchTrace;
  const [values, batched] = bt.unwrap(operands);
  const [c0, xs, k] = splitOperands(call, values);
  const [, bx, bk] = splitOperands(call, batched);
  const n = call.carryCount;
  // Every carry is batched from the start: one step may make a shared carry depend on the batch.
  const carry = c0.map((c, i) => (batched[i] ? c : broadcastTo(c, [bt.size, ...c.shape])));
  const xsTimeFirst = xs.map((x, i) => (bx[i] ? swapLeading(x) : x));
  const axes = [...carry.map(() => 0), ...bx.map((b) => (b ? 0 : null)), ...bk.map((b) => (b ? 0 : null))];
  const body = (c: Tensor[], x: Tensor[]): [Tensor[], Tensor[]] => {
    const perExample = (...leaves: Tensor[]) => {
      const [cc, yy] = step(call, leaves.slice(0, n), leaves.slice(n, n + call.xCount), bodyConsts(call, leaves.slice(n + call.xCount)));
      return [...cc, ...yy];
    };
    const out = vmap(perExample, axes)(...c, ...x, ...k);
    return [out.slice(0, n), out.slice(n)];
  };
  const [inner, consts] = makeScanCall(body, carry, xsTimeFirst, options(call));
  const out = bindScan(inner, [...carry, ...xsTimeFirst, ...consts]);
  return [...out.slice(0, n).map((v) => new BatchTracer(bt, v)), ...out.slice(n).map((v) => new BatchTracer(bt, swapLeading(v)))];
});

// ---------------------------------------------------------------------------------------
// Reverse mode with checkpointing

/** [start, stop) of each segment of `checkpoint` steps, in time order. */
function segments(length: number, checkpoint: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < length; start += checkpoint) out.push([start, Math.min(length, start + checkpoint)]);
  return out;
}

const rows = (x: Tensor, [start, stop]: [number, number]) => (start === 0 && stop === x.shape[0] ? x : slice(x, [{ start, stop }]));

/** All output leaves as one flat vector (one tape node carries them all), and back. */
function pack(leaves: Tensor[]): Tensor {
  const dtype = leaves.map((l) => l.dtype).reduce(promote);
  return concat(leaves.map((l) => cast(reshape(l, [-1]), dtype)), 0);
}

function unpack(packed: Tensor, like: { shape: readonly number[]; dtype: Tensor['dtype'] }[]): Tensor[] {
  let offset = 0;
  return like.map(({ shape, dtype }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const leaf = reshape(slice(packed, [{ start: offset, stop: offset + size }]), shape);
    offset += size;
    return cast(leaf, dtype);
  });
}

interface Residuals {
  operands: Tensor[];
  /** The carry entering each segment, by segment (time order). */
  checkpoints: Tensor[][];
}

registerScanRule(VjpTrace, (trace, call, operands) => {
  const n = call.carryCount;
  const segs = segments(call.length, call.checkpoint);
  const visit = call.reverse ? [...segs.keys()].reverse() : [...segs.keys()];
  let outputs: { shape: readonly number[]; dtype: Tensor['dtype'] }[] = [];

  // The forward pass, one level down, segment by segment, keeping each segment's first carry.
  const forward = (...ops: Tensor[]): [Tensor, Residuals] => {
    const [c0, xs, k] = splitOperands(call, ops);
    let carry = c0;
    const checkpoints: Tensor[][] = [];
    const ys: Tensor[][] = [];
    for (const s of visit) {
      checkpoints[s] = carry;
      const out = bindScan({ ...call, length: segs[s][1] - segs[s][0] }, [...carry, ...xs.map((x) => rows(x, segs[s])), ...k]);
      carry = out.slice(0, n);
      ys[s] = out.slice(n);
    }
    const yLeaves = Array.from({ length: call.yCount }, (_, j) => concat(ys.map((y) => y[j]), 0));
    const leaves = [...carry, ...yLeaves];
    outputs = leaves.map((l) => ({ shape: l.shape, dtype: l.dtype }));
    return [pack(leaves), { operands: ops, checkpoints }];
  };

  const backward = ({ operands: ops, checkpoints }: Residuals, ct: Tensor): MaybeTensor[] => {
    const [, xs, k] = splitOperands(call, ops);
    const cts = unpack(ct, outputs);
    let ctCarry = cts.slice(0, n);
    let ctConsts: Tensor[] = k.map(zerosLike);
    const ctYs = cts.slice(n);
    const ctXs: Tensor[][] = [];
    // Two steps, recorded once: the carries of a segment, and the pullback of one step.
    let carriesCall: [ScanCall, Tensor[]] | null = null;
    let sweepCall: [ScanCall, Tensor[]] | null = null;
    const carriesBody = (c: Tensor[], x: Tensor[]): [Tensor[], Tensor[]] => [step(call, c, x, bodyConsts(call, k))[0], c];
    const sweepBody = (carry: Tensor[], x: Tensor[]): [Tensor[], Tensor[]] => {
      const [ctc, ctk] = [carry.slice(0, n), carry.slice(n)];
      const [c, xt, cty] = [x.slice(0, n), x.slice(n, n + call.xCount), x.slice(n + call.xCount)];
      const [, pullback] = vjp((cc: Tensor[], xx: Tensor[], kk: Tensor[]) => step(call, cc, xx, bodyConsts(call, kk)), c, xt, k);
      const [dc, dx, dk] = pullback([ctc, cty]);
      return [[...dc, ...ctk.map((a, i) => add(a, dk[i]))], dx];
    };
    for (const s of [...visit].reverse()) {
      const length = segs[s][1] - segs[s][0];
      const segXs = xs.map((x) => rows(x, segs[s]));
      const segCtYs = ctYs.map((y) => rows(y, segs[s]));
      // The carry entering each step of the segment (a one-step segment's is its checkpoint).
      let carries: Tensor[];
      if (length === 1) {
        carries = checkpoints[s].map((c) => reshape(c, [1, ...c.shape]));
      } else {
        carriesCall ??= makeScanCall(carriesBody, checkpoints[s], segXs, options(call, length));
        carries = bindScan({ ...carriesCall[0], length }, [...checkpoints[s], ...segXs, ...carriesCall[1]]).slice(n);
      }
      const sweepInit = [...ctCarry, ...ctConsts];
      const sweepXs = [...carries, ...segXs, ...segCtYs];
      sweepCall ??= makeScanCall(sweepBody, sweepInit, sweepXs, options(call, length, !call.reverse));
      const swept = bindScan({ ...sweepCall[0], length }, [...sweepInit, ...sweepXs, ...sweepCall[1]]);
      ctCarry = swept.slice(0, n);
      ctConsts = swept.slice(n, n + k.length);
      ctXs[s] = swept.slice(n + k.length);
    }
    const ctXLeaves = xs.map((_, j) => concat(ctXs.map((c) => c[j]), 0));
    return [...ctCarry, ...ctXLeaves, ...ctConsts];
  };

  const packed = (trace as VjpTrace).processCustomVjp({
    name: 'scan',
    args: operands,
    f: (...ops) => forward(...ops)[0],
    wrapped: (...ops) => forward(...ops)[0],
    fwd: forward,
    bwd: backward as (residuals: unknown, ct: Tensor) => MaybeTensor[],
  });
  return unpack(packed, outputs);
});

