/**
 * Checkpoints: named tensor trees (parameters, Adam's moments, EMA weights...) with a JSON
 * description, in one binary file written atomically. What the description holds is the
 * caller's business (diffusion/checkpoint.ts stores a policy's configuration and normalizer);
 * this module only guarantees that what was saved comes back bit for bit, or fails loudly.
 *
 * Layout (all little-endian):
 *
 *   bytes 0-7     magic "SOBDIFF1"
 *   bytes 8-11    uint32 H, the byte length of the JSON header
 *   12 .. 12+H    header, UTF-8 JSON: { format, version, meta, trees, tensors, payloadBytes,
 *                 checksum } where `trees` maps each tree's name to its structure (a TreeDef)
 *                 and `tensors` lists every leaf as { tree, path, dtype, shape, offset }
 *   then zero padding to a multiple of 8, then the payload: each leaf's raw Float64 or
 *   Float32 values at its offset (relative to the payload start)
 *
 * `checksum` is the FNV-1a 32-bit hash of the payload, so a truncated or damaged file is
 * reported as such instead of silently loading wrong weights. Values are stored bit-exactly
 * (no decimal round trip), so resuming from a checkpoint continues the same run.
 *
 * Atomicity: the file is written to a temporary name in the same directory, flushed to disk
 * (fsync), then renamed over the destination. A rename within one file system is atomic on
 * POSIX, so a reader (or a crash) sees either the old checkpoint or the new one, never a mix.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConcreteTensor, type PyTree, type TreeDef, flatten, unflatten } from '../autodiff/index.js';
import { namedLeaves } from './params.js';

// The magic and the format name date from when only diffusion policies were saved; they are
// kept so that every checkpoint written since still loads.
const MAGIC = 'SOBDIFF1';
const FORMAT = 'sobolev-diffusion-checkpoint';
const VERSION = 1;

/** A corrupt, truncated or mismatched checkpoint; the message says which and where. */
export class CheckpointError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`checkpoint ${path}: ${detail}`);
    this.name = 'CheckpointError';
  }
}

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export interface CheckpointContents {
  /** Anything JSON: configuration, normalizer, training step... */
  meta: Json;
  /** Named tensor trees. */
  trees: Record<string, PyTree>;
}

interface TensorEntry {
  tree: string;
  path: string;
  dtype: 'float64' | 'float32';
  shape: number[];
  offset: number;
}

interface Header {
  format: string;
  version: number;
  meta: Json;
  trees: Record<string, TreeDef>;
  tensors: TensorEntry[];
  payloadBytes: number;
  checksum: string;
}

/** FNV-1a, 32 bits, over bytes. */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** The bytes of a checkpoint (exposed for tests; `saveCheckpoint` writes them). */
export function encodeCheckpoint(contents: CheckpointContents): Uint8Array {
  const entries: TensorEntry[] = [];
  const blocks: Uint8Array[] = [];
  const trees: Record<string, TreeDef> = {};
  let offset = 0;
  for (const [name, tree] of Object.entries(contents.trees)) {
    trees[name] = flatten(tree)[1];
    for (const [path, leaf] of namedLeaves(tree)) {
      const c = leaf.concrete();
      const bytes = new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength);
      entries.push({ tree: name, path, dtype: c.dtype, shape: [...c.shape], offset });
      blocks.push(bytes);
      offset = align8(offset + bytes.length);
    }
  }
  const payload = new Uint8Array(offset);
  entries.forEach((e, i) => payload.set(blocks[i], e.offset));
  const header: Header = {
    format: FORMAT, version: VERSION, meta: contents.meta, trees, tensors: entries, payloadBytes: payload.length, checksum: fnv1a(payload),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = align8(12 + json.length);
  const out = new Uint8Array(start + payload.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(payload, start);
  return out;
}

/** Parse checkpoint bytes; `path` only names the file in errors. */
export function decodeCheckpoint(bytes: Uint8Array, path = '(memory)'): CheckpointContents {
  const fail = (detail: string): never => {
    throw new CheckpointError(path, detail);
  };
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    fail(`not a checkpoint (the file does not start with "${MAGIC}"; ${bytes.length} bytes)`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + headerLength > bytes.length) fail(`truncated: the header claims ${headerLength} bytes but the file has ${bytes.length}`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + headerLength))) as Header;
  } catch (e) {
    return fail(`corrupt header (${(e as Error).message})`);
  }
  if (header.format !== FORMAT || header.version !== VERSION) {
    fail(`unsupported format ${JSON.stringify(header.format)} version ${header.version} (expected ${FORMAT} version ${VERSION})`);
  }
  const start = align8(12 + headerLength);
  if (bytes.length !== start + header.payloadBytes) {
    fail(`truncated or padded payload: expected ${header.payloadBytes} bytes after the header, found ${bytes.length - start}`);
  }
  const payload = bytes.subarray(start);
  const sum = fnv1a(payload);
  if (sum !== header.checksum) fail(`corrupt payload: checksum ${sum} does not match the recorded ${header.checksum}`);

  const leaves: Record<string, ConcreteTensor[]> = {};
  for (const e of header.tensors) {
    const count = e.shape.reduce((p, d) => p * d, 1);
    const width = e.dtype === 'float64' ? 8 : 4;
    if (e.offset % 8 !== 0 || e.offset + count * width > payload.length) fail(`tensor ${e.tree}.${e.path} lies outside the payload`);
    // Copy into a fresh, aligned buffer: the loaded tensors must not alias the file's bytes.
    const raw = new Uint8Array(count * width);
    raw.set(payload.subarray(e.offset, e.offset + count * width));
    const data = e.dtype === 'float64' ? new Float64Array(raw.buffer) : new Float32Array(raw.buffer);
    (leaves[e.tree] ??= []).push(new ConcreteTensor(data, e.shape));
  }
  const trees: Record<string, PyTree> = {};
  for (const [name, def] of Object.entries(header.trees)) {
    try {
      trees[name] = unflatten(def, leaves[name] ?? []);
    } catch (e) {
      fail(`tree ${name} does not match its tensors (${(e as Error).message})`);
    }
  }
  return { meta: header.meta, trees };
}

/** Write a checkpoint atomically: a temporary file in the same directory, fsync, rename. */
export function saveCheckpoint(path: string, contents: CheckpointContents): void {
  const bytes = encodeCheckpoint(contents);
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Read a checkpoint; throws a CheckpointError for a corrupt or truncated file. */
export function loadCheckpoint(path: string): CheckpointContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new CheckpointError(path, `cannot be read (${(e as Error).message})`);
  }
  return decodeCheckpoint(bytes, path);
}

/**
 * Check that a loaded tree has the structure, shapes and dtypes of `reference` (the tree a
 * fresh model would have) and return it typed as such; a mismatch names the first differing leaf.
 */
export function expectTreeLike<T extends PyTree>(path: string, what: string, loaded: PyTree | undefined, reference: T): T {
  if (loaded === undefined) throw new CheckpointError(path, `has no ${what}`);
  const a = namedLeaves(reference);
  const b = namedLeaves(loaded);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const [pa, ta] = a[i] ?? ['(none)', undefined];
    const [pb, tb] = b[i] ?? ['(none)', undefined];
    const same = ta !== undefined && tb !== undefined && pa === pb && ta.dtype === tb.dtype &&
      ta.shape.length === tb.shape.length && ta.shape.every((d, k) => d === tb.shape[k]);
    if (!same) {
      const fmt = (p: string, t: typeof ta) => (t === undefined ? p : `${p} ${t.dtype} [${t.shape.join(', ')}]`);
      throw new CheckpointError(path, `${what} does not match the model: expected ${fmt(pa, ta)}, found ${fmt(pb, tb)}`);
    }
  }
  return loaded as T;
}
