/**
 * The general strided loop: visit a row-major output one innermost row at a time, with the
 * offset of each operand read through its own strides (0 along broadcast axes). Every
 * broadcasting or permuting loop that no faster pattern covers comes down to this.
 */
import { type Shape, sizeOf } from './shape.js';

/**
 * Visit a row-major output of `shape` one innermost row at a time. `visit` gets the output
 * offset of the row, each operand's offset, the row length and each operand's inner stride.
 */
export function walk(
  shape: Shape,
  strides: number[][],
  visit: (outOffset: number, offsets: number[], rowLength: number, innerStrides: number[]) => void,
): void {
  const rank = shape.length;
  const total = sizeOf(shape);
  if (total === 0) return;
  if (rank === 0) {
    visit(0, strides.map(() => 0), 1, strides.map(() => 0));
    return;
  }
  const inner = shape[rank - 1];
  const innerStrides = strides.map((s) => s[rank - 1]);
  const offsets = strides.map(() => 0);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < total; o += inner) {
    visit(o, offsets, inner, innerStrides);
    for (let ax = rank - 2; ax >= 0; ax--) {
      index[ax]++;
      for (let k = 0; k < strides.length; k++) offsets[k] += strides[k][ax];
      if (index[ax] < shape[ax]) break;
      for (let k = 0; k < strides.length; k++) offsets[k] -= strides[k][ax] * shape[ax];
      index[ax] = 0;
    }
  }
}
