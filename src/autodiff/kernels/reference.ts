/**
 * Reference kernels: the readable definitions. Plain loops, float64 accumulation,
 * one output element at a time, written to match the formulas in index.ts word for
 * word. Every faster backend is tested against these.
 */
import type { Conv1dGeometry, Floats, MatmulArgs } from './types.js';

/** out_i[r, c] = sum_p op(A_i)[r, p] * op(B_i)[p, c]. */
export function matmulReference(args: MatmulArgs): void {
  const { a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = args;
  for (let i = 0; i < batch; i++) {
    const a0 = i * aBatchStride;
    const b0 = i * bBatchStride;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a[a0 + p * m + r] : a[a0 + r * k + p];
          const bv = transB ? b[b0 + c * k + p] : b[b0 + p * n + c];
          sum += av * bv;
        }
        out[i * m * n + r * n + c] = sum;
      }
    }
  }
}

/** y[b,o,t] = sum_{i,j} w[o,i,j] * x[b, i, t*stride + j*dilation - padding], zero outside x. */
export function conv1dReference(x: Floats, w: Floats, out: Floats, g: Conv1dGeometry): void {
  const { batch, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K } = g;
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < O; o++) {
      for (let t = 0; t < T; t++) {
        let sum = 0;
        for (let i = 0; i < I; i++) {
          for (let j = 0; j < K; j++) {
            const s = t * g.stride + j * g.dilation - g.padding;
            if (s >= 0 && s < L) sum += w[(o * I + i) * K + j] * x[(b * I + i) * L + s];
          }
        }
        out[(b * O + o) * T + t] = sum;
      }
    }
  }
}

/**
 * The adjoint of conv1d in x (PyTorch's conv_transpose1d):
 * dx[b,i,s] = sum over (o, j, t) with t*stride + j*dilation - padding = s of dy[b,o,t] * w[o,i,j].
 * Written as a gather over s so that each output element is one plain sum.
 */
export function conv1dInputAdjointReference(dy: Floats, w: Floats, out: Floats, g: Conv1dGeometry): void {
  const { batch, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K } = g;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < I; i++) {
      for (let s = 0; s < L; s++) {
        let sum = 0;
        for (let o = 0; o < O; o++) {
          for (let j = 0; j < K; j++) {
            const num = s + g.padding - j * g.dilation; // = t * stride
            if (num < 0 || num % g.stride !== 0) continue;
            const t = num / g.stride;
            if (t < T) sum += dy[(b * O + o) * T + t] * w[(o * I + i) * K + j];
          }
        }
        out[(b * I + i) * L + s] = sum;
      }
    }
  }
}

/** The adjoint of conv1d in w: dw[o,i,j] = sum_{b,t} dy[b,o,t] * x[b, i, t*stride + j*dilation - padding]. */
export function conv1dWeightAdjointReference(x: Floats, dy: Floats, out: Floats, g: Conv1dGeometry): void {
  const { batch, inChannels: I, outChannels: O, inLength: L, outLength: T, kernelSize: K } = g;
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      for (let j = 0; j < K; j++) {
        let sum = 0;
        for (let b = 0; b < batch; b++) {
          for (let t = 0; t < T; t++) {
            const s = t * g.stride + j * g.dilation - g.padding;
            if (s >= 0 && s < L) sum += dy[(b * O + o) * T + t] * x[(b * I + i) * L + s];
          }
        }
        out[(o * I + i) * K + j] = sum;
      }
    }
  }
}
