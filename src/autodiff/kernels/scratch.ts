/**
 * Reusable float64 work buffers for the fast kernels, so that the hot paths never
 * allocate. Each named slot grows to the largest size asked for and is then reused.
 * Kernels run synchronously on one thread, so one set of slots is enough; a kernel
 * must not call another kernel while it holds a slot it still needs (none do).
 */
import { wasmAllocate, inWasmMemory } from './wasm/runtime.js';

const slots = new Map<string, Float64Array>();

/** A Float64Array of at least `length` elements; contents are unspecified. */
export function scratch(name: string, length: number): Float64Array {
  let buf = slots.get(name);
  if (buf === undefined || buf.length < length) {
    const size = Math.max(length, 2 * (buf?.length ?? 0), 64);
    // In WebAssembly memory where possible, so the SIMD micro-kernel can read it in place.
    buf = wasmAllocate(size) ?? new Float64Array(size);
    slots.set(name, buf);
  }
  return buf;
}

/**
 * `length` float32 values over slot `name`, in WebAssembly memory (for the float32 kernels,
 * which address it by byte offset), or null where that memory is unavailable or full.
 */
export function scratchF32(name: string, length: number): Float32Array | null {
  const buf = scratch(name, Math.ceil(length / 2));
  return inWasmMemory(buf) ? new Float32Array(buf.buffer, buf.byteOffset, length) : null;
}
