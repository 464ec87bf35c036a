/**
 * Float32 Mish, v * mish'(x) and a * b * mish''(x) through the WebAssembly f32x4 kernels of
 * wasm/mish.ts. The operands are copied into WebAssembly memory in chunks (one memcpy each),
 * transformed there in place, and copied out: on a [64, 24, 32] activation the copies cost
 * a few microseconds against the kernel's tens. Each function returns false, writing nothing,
 * when WebAssembly is unavailable, and the caller runs its JavaScript loop instead.
 *
 * Float64 arrays never come here: their JavaScript loops (expFast, within 2 ulp of Math.exp)
 * are the reference these kernels are pinned to (tests/autodiff/mish-f32.test.ts).
 */
import { scratchF32 } from './scratch.js';
import { MISH_STEP_BYTES } from './wasm/mish.js';
import { wasmMish } from './wasm/runtime.js';

/** Elements per chunk: 64k float32 (256 KiB) per operand keeps a chunk's operands in L2. */
const CHUNK = 1 << 16;

/** Float32 past a chunk that the kernels' last step may touch (they run in steps of MISH_STEP_BYTES). */
const SLACK = MISH_STEP_BYTES / 4;

/** `count` scratch slots of CHUNK float32 with slack after each, or null outside WebAssembly memory. */
function buffers(count: number): Float32Array[] | null {
  const views = Array.from({ length: count }, (_, i) => scratchF32(`mish.${i}`, CHUNK + SLACK));
  return views.every((v) => v !== null) ? (views as Float32Array[]) : null;
}

/**
 * Runs `kernel(addresses..., dst, bytes)` over `inputs` chunk by chunk, the result written in
 * place over the first input's slot and copied to `out`.
 */
function chunked(inputs: Float32Array[], out: Float32Array, kernel: (...args: number[]) => void): boolean {
  const slots = buffers(inputs.length);
  if (slots === null) return false;
  const addresses = slots.map((s) => s.byteOffset);
  for (let start = 0; start < out.length; start += CHUNK) {
    const length = Math.min(CHUNK, out.length - start);
    inputs.forEach((input, i) => slots[i].set(input.subarray(start, start + length)));
    kernel(...addresses, addresses[0], Math.ceil((4 * length) / MISH_STEP_BYTES) * MISH_STEP_BYTES);
    out.set(slots[0].subarray(0, length), start);
  }
  return true;
}

/** out = mish(x). */
export function mishF32(x: Float32Array, out: Float32Array): boolean {
  const kernels = wasmMish();
  return kernels !== null && chunked([x], out, kernels.mish);
}

/** out = v * mish'(x). */
export function mishScaleF32(v: Float32Array, x: Float32Array, out: Float32Array): boolean {
  const kernels = wasmMish();
  return kernels !== null && chunked([v, x], out, kernels.mishScale);
}

/** out = a * b * mish''(x). */
export function mishCurvatureF32(a: Float32Array, b: Float32Array, x: Float32Array, out: Float32Array): boolean {
  const kernels = wasmMish();
  return kernels !== null && chunked([a, b, x], out, kernels.mishCurvature);
}
