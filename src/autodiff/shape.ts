/**
 * Shape arithmetic: sizes, row-major strides and NumPy broadcasting. The arithmetic that
 * cannot fail is kernels/shape.ts, re-exported here; this module adds the rules that can, and
 * throw a `ShapeError` naming the op: broadcasting shapes together, and normalizing axes.
 */
import { ShapeError } from './errors.js';
import { type Shape } from './kernels/shape.js';

export { type Shape, broadcastStrides, sameShape, sizeOf, stridesOf } from './kernels/shape.js';

/**
 * NumPy broadcasting: align shapes on the right; each pair of dimensions must be
 * equal or one of them 1.
 */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const d = s[i];
      if (d === out[j] || d === 1) continue;
      if (out[j] === 1) out[j] = d;
      else throw new ShapeError(op, shapes, `cannot broadcast dimension ${d} against ${out[j]}`);
    }
  }
  return out;
}

/**
 * Check that `shape` is a list of sizes, each a non-negative integer, as every tensor's must
 * be; a ShapeError naming `op`, the shape and the bad size otherwise (before, `zeros([-1])`
 * reached the typed array and threw a raw RangeError).
 */
export function checkShape(op: string, shape: unknown): Shape {
  const list = shape as ArrayLike<unknown> | null | undefined;
  if (list === null || typeof list !== 'object' || typeof list.length !== 'number') {
    throw new ShapeError(op, [], `the shape must be a list of sizes, got ${String(shape)}`);
  }
  for (let i = 0; i < list.length; i++) {
    const d = list[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(op, [Array.from(list) as number[]], `size ${String(d)} on axis ${i} is not a non-negative integer`);
    }
  }
  return shape as Shape;
}

/**
 * Normalize an axis that may be negative (-1 is the last axis). `shapes` are the operands'
 * shapes, for the message (an out-of-range axis then names the shape it missed).
 */
export function normalizeAxis(op: string, axis: number, rank: number, shapes: readonly Shape[] = []): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(op, shapes, `axis ${String(axis)} is out of range for rank ${rank} (valid: ${rank === 0 ? 'none' : `-${rank} to ${rank - 1}`})`);
  }
  return a;
}

/** Sorted, unique, non-negative axes; `undefined` means all axes. `shapes` as for normalizeAxis. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, rank: number, shapes: readonly Shape[] = []): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  if (!Array.isArray(list)) throw new ShapeError(op, shapes, `axes must be a number or a list of numbers, got ${String(axes)}`);
  const out = [...new Set(list.map((a) => normalizeAxis(op, a, rank, shapes)))].sort((x, y) => x - y);
  return out;
}
