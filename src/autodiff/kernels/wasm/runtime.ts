/**
 * The WebAssembly side of the fast kernels: one memory holding the packing buffers, a bump
 * allocator (`wasmAllocate`) that hands out Float64Array views of it for good (the kernels'
 * scratch slots, scratch.ts; not to be confused with the step arena of step-arena.ts, which
 * holds tensors' data in ordinary memory), and the SIMD micro-kernels. The memory never
 * grows (growing would detach every view handed out); a request that does not fit returns
 * null and the caller keeps a plain JavaScript array, which the JavaScript micro-kernel
 * handles. If this engine cannot compile SIMD WebAssembly, `wasmAvailable()` is false and
 * everything runs in JavaScript.
 *
 * Where the engine also has relaxed SIMD (relaxed.ts), the module carries fused
 * multiply-add variants of the float32 micro-kernels, and the float32 calls run on them
 * unless `setFusedMultiplyAdd(false)` says otherwise; float64 calls never do (they keep the
 * reference's order and rounding, bit for bit).
 */
import { assembleModule } from './assembler.js';
import { type BinaryExports, binaryExports, binaryFunctions } from './binary.js';
import { type GemmExport, gemmFunction } from './gemm.js';
import { type GroupNormExports, groupNormFunctions } from './groupnorm.js';
import { type MishExports, mishFunctions } from './mish.js';
import { type PackExport, packFunction, packRunsFunction } from './pack.js';
import { type PadExport, padFunction } from './pad.js';
import { relaxedSimdAvailable } from './relaxed.js';
import { type WgradExport, wgradF32FmaFunctions, wgradF32Functions, wgradFunctions, wgradRows8Functions } from './wgrad.js';
import {
  type WindowExport, windowF32FmaFunction, windowF32Function, windowF32NarrowFmaFunction, windowF32NarrowFunction, windowFunction,
} from './window.js';

/** 32 MiB: the packing buffers of the U-Net's largest product need well under 1 MiB. */
const PAGES = 512;
const BYTES = PAGES * 65536;

/** The part of the WebAssembly JS API used here (the project's type libraries omit it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface Engine {
  memory: WasmMemory;
  gemm: GemmExport;
  window: WindowExport;
  windowF32: WindowExport;
  windowF32Narrow: WindowExport;
  /** wgrad[N - 1]: the weight-adjoint kernel with N taps per tile. */
  wgrad: WgradExport[];
  wgradF32: WgradExport[];
  /** The 8 x 1 weight-adjoint tiles (wgradRows8Function). */
  wgradRows8: WgradExport;
  wgradF32Rows8: WgradExport;
  /** The fused multiply-add variants of the float32 kernels, or null without relaxed SIMD. */
  fma: { windowF32: WindowExport; windowF32Narrow: WindowExport; wgradF32: WgradExport[]; wgradF32Rows8: WgradExport } | null;
  pad: PadExport;
  pack: { panels: PackExport; runs: PackExport };
  mish: MishExports;
  groupNorm: GroupNormExports;
  binary: BinaryExports;
}

let engine: Engine | null | undefined;
/** Bytes of the memory handed out by `wasmAllocate`, from its start. */
let wasmTop = 0;

function load(): Engine | null {
  if (engine !== undefined) return engine;
  try {
    if (wasm === undefined) throw new Error('no WebAssembly');
    const memory = new wasm.Memory({ initial: PAGES, maximum: PAGES });
    const relaxed = relaxedSimdAvailable();
    const fused = relaxed ? [windowF32FmaFunction, windowF32NarrowFmaFunction, ...wgradF32FmaFunctions, wgradRows8Functions.f32Fma] : [];
    const module = new wasm.Module(assembleModule([gemmFunction, windowFunction, windowF32Function, windowF32NarrowFunction, ...wgradFunctions, ...wgradF32Functions, wgradRows8Functions.f64, wgradRows8Functions.f32, ...fused, padFunction, packFunction, packRunsFunction, ...mishFunctions, ...groupNormFunctions, ...binaryFunctions], PAGES));
    const { exports } = new wasm.Instance(module, { env: { memory } });
    engine = {
      memory,
      gemm: exports.gemm as GemmExport,
      window: exports.window as WindowExport,
      windowF32: exports.windowF32 as WindowExport,
      windowF32Narrow: exports.windowF32Narrow as WindowExport,
      wgrad: wgradFunctions.map((f) => exports[f.name] as WgradExport),
      wgradF32: wgradF32Functions.map((f) => exports[f.name] as WgradExport),
      wgradRows8: exports[wgradRows8Functions.f64.name] as WgradExport,
      wgradF32Rows8: exports[wgradRows8Functions.f32.name] as WgradExport,
      fma: !relaxed ? null : {
        windowF32: exports.windowF32Fma as WindowExport,
        windowF32Narrow: exports.windowF32NarrowFma as WindowExport,
        wgradF32: wgradF32FmaFunctions.map((f) => exports[f.name] as WgradExport),
        wgradF32Rows8: exports[wgradRows8Functions.f32Fma.name] as WgradExport,
      },
      pad: exports.pad as PadExport,
      pack: { panels: exports.packPanels as PackExport, runs: exports.packRuns as PackExport },
      mish: {
        mish: exports.mish as MishExports['mish'],
        mishScale: exports.mishScale as MishExports['mishScale'],
        mishCurvature: exports.mishCurvature as MishExports['mishCurvature'],
      },
      groupNorm: {
        groupStats: exports.groupStats as GroupNormExports['groupStats'],
        groupNormalize: exports.groupNormalize as GroupNormExports['groupNormalize'],
        groupTangent: exports.groupTangent as GroupNormExports['groupTangent'],
      },
      binary: binaryExports(exports),
    };
  } catch {
    engine = null;
  }
  return engine;
}

export function wasmAvailable(): boolean {
  return load() !== null;
}

/** A view of `length` doubles in the WebAssembly memory, or null when it is full or unavailable. */
export function wasmAllocate(length: number): Float64Array | null {
  const e = load();
  if (e === null || wasmTop + length * 8 > BYTES) return null;
  const view = new Float64Array(e.memory.buffer, wasmTop, length);
  wasmTop += length * 8;
  return view;
}

let fmaWanted = true;

/**
 * Whether float32 calls use the fused multiply-add kernels where they exist (the default), or
 * the plain ones: tests force the fallback with it, and benchmarks compare the two.
 */
export function setFusedMultiplyAdd(on: boolean): void {
  fmaWanted = on;
}

/** Whether float32 calls run fused multiply-adds now: relaxed SIMD is here and not switched off. */
export function fusedMultiplyAdd(): boolean {
  return fmaWanted && (load()?.fma ?? null) !== null;
}

/**
 * The window micro-kernel (window.ts) for float64 or float32 operands (narrow: the 4-column
 * float32 tiles; fused multiply-adds where `fusedMultiplyAdd()`), or null when WebAssembly is
 * unavailable.
 */
export function wasmWindow(f32 = false, narrow = false): WindowExport | null {
  const e = load();
  if (e === null) return null;
  if (!f32) return e.window;
  const kernels = fmaWanted && e.fma !== null ? e.fma : e;
  return narrow ? kernels.windowF32Narrow : kernels.windowF32;
}

/**
 * The weight-adjoint kernel with N taps per tile of 2 output channels (wgrad.ts), or, with
 * `rows8`, the one-tap tile of 8 output channels; null when unavailable.
 */
export function wasmWgrad(N: number, f32 = false, rows8 = false): WgradExport | null {
  const e = load();
  if (e === null) return null;
  const fused = f32 && fmaWanted && e.fma !== null ? e.fma : null;
  if (rows8) return N !== 1 ? null : fused !== null ? fused.wgradF32Rows8 : f32 ? e.wgradF32Rows8 : e.wgradRows8;
  const kernels = fused !== null ? fused.wgradF32 : f32 ? e.wgradF32 : e.wgrad;
  return kernels[N - 1] ?? null;
}

/** The row-padding copy (pad.ts), or null when WebAssembly is unavailable. */
export function wasmPad(): PadExport | null {
  return load()?.pad ?? null;
}

/** The float32 gemm's packs (pack.ts: transposing, and runs), or null when WebAssembly is unavailable. */
export function wasmPack(): { panels: PackExport; runs: PackExport } | null {
  return load()?.pack ?? null;
}

/** The float32 Mish kernels (mish.ts), or null when WebAssembly is unavailable. */
export function wasmMish(): MishExports | null {
  return load()?.mish ?? null;
}

/** The float32 GroupNorm kernels (groupnorm.ts), or null when WebAssembly is unavailable. */
export function wasmGroupNorm(): GroupNormExports | null {
  return load()?.groupNorm ?? null;
}

/** The float32 add, sub and mul kernels (binary.ts), or null when WebAssembly is unavailable. */
export function wasmBinary(): BinaryExports | null {
  return load()?.binary ?? null;
}

/** Whether `x` is a view of the WebAssembly memory (the kernels address it by byte offset). */
export function inWasmMemory(x: Float64Array | Float32Array): boolean {
  return engine !== null && engine !== undefined && x.buffer === engine.memory.buffer;
}

/**
 * The micro-kernel over all tiles (see gemm-core.ts for the layout), if all three arrays
 * live in WebAssembly memory and C has room for the padded rows; returns false otherwise.
 */
export function wasmGemmPanels(
  pa: Float64Array, pb: Float64Array, m: number, nPad: number, kc: number,
  c: Float64Array, cOff: number, ldc: number, accumulate: boolean,
): boolean {
  if (!inWasmMemory(pa) || !inWasmMemory(pb) || !inWasmMemory(c)) return false;
  const mTiles = Math.ceil(m / 4);
  if (cOff + (mTiles * 4 - 1) * ldc + nPad > c.length) return false;
  engine!.gemm(pa.byteOffset, pb.byteOffset, mTiles, nPad / 4, kc, c.byteOffset + cOff * 8, ldc * 8, accumulate ? 1 : 0);
  return true;
}
