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

/** Normalize an axis that may be negative (-1 is the last axis). */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(op, [], `axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/** Sorted, unique, non-negative axes; `undefined` means all axes. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = [...new Set(list.map((a) => normalizeAxis(op, a, rank)))].sort((x, y) => x - y);
  return out;
}
