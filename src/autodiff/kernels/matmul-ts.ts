/**
 * Fast plain-TypeScript batched matmul. Each batch item is packed (which absorbs
 * transA / transB, so all four combinations run the same inner loop) and multiplied
 * by the 4 x 4 register-blocked micro-kernel in gemm-core.ts, one reduction block of
 * KC at a time. A broadcast operand (batch stride 0) is packed once.
 */
import { KC, gemmPanels, packStrided, padded } from './gemm-core.js';
import { scratch } from './scratch.js';
import type { MatmulArgs } from './types.js';

export function matmulTs(args: MatmulArgs): void {
  const { a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = args;
  if (m === 0 || n === 0 || batch === 0) return;
  if (k === 0) {
    out.fill(0, 0, batch * m * n);
    return;
  }
  const mPad = padded(m);
  const nPad = padded(n);
  // Element (row r, reduction p) of op(A) is a[off + r*aRow + p*aCol]; likewise op(B)^T.
  const aRow = transA ? 1 : k, aCol = transA ? m : 1;
  const bRow = transB ? k : 1, bCol = transB ? 1 : n;
  const blocks = Math.ceil(k / KC);
  // With one reduction block and a broadcast operand, its packing is reused across the batch.
  const reuseA = blocks === 1 && aBatchStride === 0;
  const reuseB = blocks === 1 && bBatchStride === 0;
  const pa = scratch('matmul.a', mPad * Math.min(k, KC));
  const pb = scratch('matmul.b', nPad * Math.min(k, KC));
  const c = scratch('matmul.c', mPad * nPad);
  for (let item = 0; item < batch; item++) {
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      if (!(reuseA && item > 0)) packStrided(a, item * aBatchStride, m, aRow, aCol, p0, kc, pa);
      if (!(reuseB && item > 0)) packStrided(b, item * bBatchStride, n, bRow, bCol, p0, kc, pb);
      gemmPanels(pa, pb, m, nPad, kc, c, 0, nPad, p0 > 0);
    }
    let o = item * m * n;
    for (let r = 0; r < m; r++) {
      for (let col = 0, s = r * nPad; col < n; col++) out[o++] = c[s + col];
    }
  }
}
