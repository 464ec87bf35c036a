/**
 * Checkpoints: named tensor trees (parameters, Adam's moments, EMA weights...) with a JSON
 * description, in one binary file written atomically. What the description holds is the
 * caller's business (diffusion/checkpoint.ts stores a policy's configuration and normalizer);
 * this module guarantees that what was saved comes back bit for bit, or fails with a
 * `CheckpointError`: every byte of the file, header included, is covered by a checksum.
 *
 * The file is a safetensors file (https://github.com/huggingface/safetensors), so PyTorch and
 * Hugging Face users open our policies directly (`safetensors.torch.load_file(path)`):
 *
 *   bytes 0-7    uint64, little-endian: N, the byte length of the header
 *   8 .. 8+N     the header, UTF-8 JSON, padded with spaces so that the data start at a
 *                multiple of 8:
 *                  { "<tensor name>": { "dtype": "F64" | "F32", "shape": [...],
 *                                       "data_offsets": [begin, end] }, ...,
 *                    "__metadata__": { "format": "sobolev-to-checkpoint", "version": "2",
 *                                      "trees": "<JSON>", "meta": "<JSON>", "sha256": "<hex>" } }
 *   8+N ..       the data: every tensor's raw little-endian values, at [begin, end) relative
 *                to the start of the data, back to back with no gap (float64 tensors first,
 *                then float32, so each is aligned to its width, as safetensors' own writer does)
 *
 * A tensor's name is its tree's name and its path, PyTorch-style: `params.down.0.conv.weight`
 * is leaf `down[0].conv.weight` of the tree `params` (a leaf at a tree's root is named by the
 * tree). safetensors allows only strings as metadata values, so our two JSON documents are
 * stored as strings: `trees` maps each tree's name to its structure (a TreeDef, from which
 * the leaves' names follow), `meta` is the caller's description.
 *
 * `sha256` is the SHA-256 of the whole file as written with these 64 hex digits replaced by
 * the character '0'. So it covers every other byte, the header included: an edited
 * normalizer or step, a flipped bit or a truncation anywhere is a CheckpointError, never a
 * silent load. (In Python: `hashlib.sha256(raw.replace(d.encode(), b'0' * 64, 1))`, with `d`
 * the recorded digits.) A single changed byte is always caught: the recorded digits then
 * either are what changed (the hash of the rest is the same) or are not (the hash changes);
 * several changes are caught unless they collide in SHA-256.
 *
 * Files of the previous format (magic "SOBDIFF1", whose JSON header had no checksum) are
 * refused with a CheckpointError that says so, rather than read: their header cannot be
 * verified, so reading them would bring back exactly the silent edits this format rules out,
 * and a training run that wrote one is cheap to repeat.
 *
 * Atomicity: the file is written to a temporary name in the same directory, flushed to disk
 * (fsync), then renamed over the destination. A rename within one file system is atomic on
 * POSIX, so a reader (or a crash) sees either the old checkpoint or the new one, never a mix.
 * The hash and the file system come from checkpoint-io.ts (Node), whose browser twin keeps
 * the bytes (encode, decode) and refuses files.
 */
import { readFileBytes, sha256Hex, writeFileAtomic } from './checkpoint-io.js';
import { ConcreteTensor, type PyTree, type TreeDef, flatten, unflatten } from '../autodiff/index.js';
import { namedLeaves } from './params.js';

const FORMAT = 'sobolev-to-checkpoint';
const VERSION = '2';
/** The first bytes of the previous format, recognized only to say that it is no longer read. */
const OLD_MAGIC = 'SOBDIFF1';
/** safetensors refuses headers above 100 MB; so do we (before allocating anything for one). */
const MAX_HEADER_BYTES = 100_000_000;
/** Tree structures deeper than this are refused (no network of ours nests beyond a few levels). */
const MAX_TREE_DEPTH = 64;
const HEX_DIGITS = 64;
const ZERO_DIGITS = '0'.repeat(HEX_DIGITS);

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

/** safetensors' dtype names for ours, and their widths in bytes. */
const DTYPES = { F64: { dtype: 'float64', width: 8 }, F32: { dtype: 'float32', width: 4 } } as const;
type SafeDType = keyof typeof DTYPES;

interface TensorInfo {
  dtype: SafeDType;
  shape: number[];
  data_offsets: [number, number];
}

/** The typed arrays are written as they lie in memory, which is little-endian on every platform Node supports. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * The names of a tree's leaves, in `flatten` order: object keys and array indices joined by
 * dots after the tree's name, as PyTorch's `state_dict` names parameters.
 */
function leafNames(treeName: string, def: TreeDef): string[] {
  const out: string[] = [];
  const visit = (d: TreeDef, name: string): void => {
    if (d.kind === 'leaf') out.push(name);
    else if (d.kind === 'array') d.children.forEach((c, i) => visit(c, `${name}.${i}`));
    else d.children.forEach((c, i) => visit(c, `${name}.${d.keys[i]}`));
  };
  visit(def, treeName);
  return out;
}

/** The position of the last occurrence of `pattern` (ASCII) in `bytes`; -1 if absent. */
function lastIndexOf(bytes: Uint8Array, pattern: string): number {
  const p = new TextEncoder().encode(pattern);
  outer: for (let i = bytes.length - p.length; i >= 0; i--) {
    for (let k = 0; k < p.length; k++) if (bytes[i + k] !== p[k]) continue outer;
    return i;
  }
  return -1;
}

/** SHA-256 of `bytes` with the 64 bytes at `at` read as '0' characters (without copying the file). */
function sealHash(bytes: Uint8Array, at: number): string {
  return sha256Hex([bytes.subarray(0, at), new TextEncoder().encode(ZERO_DIGITS), bytes.subarray(at + HEX_DIGITS)]);
}

/** How the seal is written in the header: this prefix, 64 hex digits, a closing quote. */
const SEAL_PREFIX = '"sha256":"';
const sealKey = (digits: string) => `${SEAL_PREFIX}${digits}"`;

/** The bytes of a checkpoint (exposed for tests; `saveCheckpoint` writes them). `path` only names the file in errors. */
export function encodeCheckpoint(contents: CheckpointContents, path = '(memory)'): Uint8Array {
  if (!LITTLE_ENDIAN) throw new CheckpointError(path, 'cannot be written on a big-endian machine (the format is little-endian)');
  const defs = Object.create(null) as Record<string, TreeDef>;
  const leaves: { name: string; tensor: ConcreteTensor }[] = [];
  for (const [treeName, tree] of Object.entries(contents.trees)) {
    const [tensors, def] = flatten(tree, treeName);
    defs[treeName] = def;
    leafNames(treeName, def).forEach((name, i) => leaves.push({ name, tensor: tensors[i].concrete() }));
  }
  const seen = new Set<string>(['__metadata__']);
  for (const { name } of leaves) {
    if (seen.has(name)) throw new CheckpointError(path, `two leaves (or a leaf and the metadata) would both be named "${name}"`);
    seen.add(name);
  }
  // float64 first, so that every tensor starts at a multiple of its width; a stable sort keeps tree order within each dtype.
  const ordered = [...leaves].sort((a, b) => (a.tensor.dtype === b.tensor.dtype ? 0 : a.tensor.dtype === 'float64' ? -1 : 1));
  // No prototype, so that a tree or key named "__proto__" is a plain entry like any other.
  const header = Object.create(null) as Record<string, unknown>;
  let offset = 0;
  for (const { name, tensor } of ordered) {
    const end = offset + tensor.data.byteLength;
    const info: TensorInfo = { dtype: tensor.dtype === 'float64' ? 'F64' : 'F32', shape: [...tensor.shape], data_offsets: [offset, end] };
    header[name] = info;
    offset = end;
  }
  const meta: string | undefined = JSON.stringify(contents.meta);
  if (meta === undefined) throw new CheckpointError(path, `meta must be JSON, got ${typeof contents.meta}`);
  header.__metadata__ = {
    format: FORMAT,
    version: VERSION,
    trees: JSON.stringify(defs),
    meta,
    sha256: ZERO_DIGITS, // last, and filled in below
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = align8(8 + json.length) - 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // space padding, as safetensors pads
  const dataStart = 8 + headerLength;
  for (const { name, tensor } of ordered) {
    const [begin] = (header[name] as TensorInfo).data_offsets;
    out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), dataStart + begin);
  }
  const at = lastIndexOf(out.subarray(0, dataStart), sealKey(ZERO_DIGITS)) + SEAL_PREFIX.length;
  out.set(new TextEncoder().encode(sealHash(out, at)), at);
  return out;
}

/** Parse checkpoint bytes; `path` only names the file in errors. Every failure is a CheckpointError. */
export function decodeCheckpoint(bytes: Uint8Array, path = '(memory)'): CheckpointContents {
  const fail = (detail: string): never => {
    throw new CheckpointError(path, detail);
  };
  if (!LITTLE_ENDIAN) fail('cannot be read on a big-endian machine (the format is little-endian)');
  if (bytes.length >= 8 && new TextDecoder().decode(bytes.subarray(0, 8)) === OLD_MAGIC) {
    fail(`is in the old format (it starts with "${OLD_MAGIC}"), whose header no checksum covers, so it is no longer read; ` +
      'save it again with this version, i.e. retrain (checkpoints are now safetensors files)');
  }
  if (bytes.length < 8) fail(`truncated or not a checkpoint: ${bytes.length} bytes, fewer than the 8 of the header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) fail(`truncated or not a checkpoint: the header claims ${n} bytes but only ${bytes.length - 8} follow`);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`the header claims ${n} bytes, more than the ${MAX_HEADER_BYTES} allowed`);
  const dataStart = 8 + Number(n);
  const headerBytes = bytes.subarray(8, dataStart);
  if (headerBytes[0] !== 0x7b) fail('corrupt header: it does not start with "{" (not a safetensors file?)');

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    return fail(`corrupt header (${(e as Error).message})`);
  }
  if (!isObject(header)) return fail('corrupt header: not a JSON object');
  const metadata = header.__metadata__;
  if (!isObject(metadata)) return fail('has no __metadata__ object: a safetensors file, but not one written by this project');
  if (metadata.format !== FORMAT || metadata.version !== VERSION) {
    fail(`unsupported format ${show(metadata.format)} version ${show(metadata.version)} (expected ${FORMAT} version ${VERSION})`);
  }

  // The tensor table: every entry well formed, the data covered back to back, exactly.
  const dataLength = bytes.length - dataStart;
  const infos = new Map<string, TensorInfo>();
  for (const [name, entry] of Object.entries(header)) {
    if (name !== '__metadata__') infos.set(name, checkTensorInfo(name, entry, fail));
  }
  const spans = [...infos.entries()].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  let covered = 0;
  for (const [name, { data_offsets: [begin, end] }] of spans) {
    if (begin !== covered) fail(`tensor ${name} starts at byte ${begin} of the data, not at ${covered} where the previous one ends`);
    covered = end;
  }
  if (covered !== dataLength) fail(`truncated or padded data: the tensors cover ${covered} bytes, the file has ${dataLength} after the header`);

  // The seal: once it holds, the bytes are the ones written, and the other checks only guard
  // against files made by hand (or by another program) with a recomputed hash. The table is
  // checked before it so that a truncated file is reported as truncated.
  const digits = metadata.sha256;
  if (typeof digits !== 'string' || !/^[0-9a-f]{64}$/.test(digits)) return fail('corrupt header: no 64-digit sha256 in __metadata__');
  const keyAt = lastIndexOf(headerBytes, sealKey(digits));
  if (keyAt < 0) fail('corrupt header: the sha256 entry is not written as "sha256":"<digits>"');
  const sum = sealHash(bytes, 8 + keyAt + SEAL_PREFIX.length);
  if (sum !== digits) fail(`corrupt or edited: checksum mismatch, the SHA-256 of the file is ${sum}, not the recorded ${digits}`);

  const meta = parseJsonString(metadata.meta, '__metadata__.meta', fail) as Json;
  const defs = parseJsonString(metadata.trees, '__metadata__.trees', fail);
  if (!isObject(defs)) return fail('__metadata__.trees is not a JSON object');
  for (const key of Object.keys(metadata)) {
    if (typeof metadata[key] !== 'string') fail(`__metadata__.${key} is not a string (safetensors allows only strings there)`);
  }

  const trees: Record<string, PyTree> = {};
  const used = new Set<string>();
  for (const [treeName, def] of Object.entries(defs)) {
    checkTreeDef(treeName, def, 0, fail);
    const leaves = leafNames(treeName, def as TreeDef).map((name) => {
      const info = infos.get(name);
      if (info === undefined) return fail(`tree ${treeName} needs the tensor ${name}, which the file lacks`);
      if (used.has(name)) return fail(`the tensor ${name} is claimed by two leaves`);
      used.add(name);
      const [begin, end] = info.data_offsets;
      // Copy into a fresh, aligned buffer: the loaded tensors must not alias the file's bytes
      // (nor a Node Buffer's pool, which `slice` on a Buffer would share).
      const raw = new Uint8Array(end - begin);
      raw.set(bytes.subarray(dataStart + begin, dataStart + end));
      const data = info.dtype === 'F64' ? new Float64Array(raw.buffer) : new Float32Array(raw.buffer);
      return new ConcreteTensor(data, info.shape);
    });
    trees[treeName] = unflatten(def as TreeDef, leaves);
  }
  for (const name of infos.keys()) if (!used.has(name)) fail(`the tensor ${name} belongs to no tree of __metadata__.trees`);
  return { meta, trees };
}

/** A value from a file, for a message: short, and safe however it nests. */
function show(v: unknown): string {
  try {
    const s = JSON.stringify(v) ?? String(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return '(a value too deep to print)';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function parseJsonString(value: unknown, what: string, fail: (detail: string) => never): unknown {
  if (typeof value !== 'string') return fail(`${what} is missing or not a string`);
  try {
    return JSON.parse(value);
  } catch (e) {
    return fail(`${what} is not JSON (${(e as Error).message})`);
  }
}

/** A tensor entry must be exactly { dtype, shape, data_offsets } with consistent sizes. */
function checkTensorInfo(name: string, entry: unknown, fail: (detail: string) => never): TensorInfo {
  const bad = (detail: string) => fail(`tensor ${name}: ${detail}`);
  if (!isObject(entry)) return bad('its entry is not an object');
  const keys = Object.keys(entry).sort().join(',');
  if (keys !== 'data_offsets,dtype,shape') bad(`its entry has the fields ${keys}, not data_offsets, dtype, shape`);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (dtype !== 'F64' && dtype !== 'F32') return bad(`dtype ${show(dtype)} is not F64 or F32`);
  const isCount = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) return bad(`shape ${show(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    return bad(`data_offsets ${show(offsets)} is not a pair of non-negative integers`);
  }
  const bytes = shape.reduce((p: number, d: number) => p * d, DTYPES[dtype].width);
  if (!Number.isSafeInteger(bytes) || offsets[1] - offsets[0] !== bytes) {
    bad(`data_offsets [${offsets.join(', ')}] do not span the ${bytes} bytes of a ${dtype} tensor of shape [${shape.join(', ')}]`);
  }
  return { dtype, shape: shape as number[], data_offsets: offsets as [number, number] };
}

/** A TreeDef read from a file: the kinds, children and keys that `unflatten` relies on. */
function checkTreeDef(where: string, def: unknown, depth: number, fail: (detail: string) => never): void {
  const bad = (detail: string) => fail(`__metadata__.trees: ${where} ${detail}`);
  if (depth > MAX_TREE_DEPTH) bad(`nests deeper than ${MAX_TREE_DEPTH} levels`);
  if (!isObject(def)) return bad('is not an object');
  if (def.kind === 'leaf') return;
  if (def.kind !== 'array' && def.kind !== 'object') return bad(`has kind ${show(def.kind)}, not leaf, array or object`);
  const children = def.children;
  if (!Array.isArray(children)) return bad('has no list of children');
  if (def.kind === 'object') {
    const keys = def.keys;
    if (!Array.isArray(keys) || keys.length !== children.length || !keys.every((k) => typeof k === 'string')) {
      bad('has keys that do not match its children');
    }
    if (new Set(keys as string[]).size !== children.length) bad('has a repeated key');
    if ((keys as string[]).includes('__proto__')) bad('has the key __proto__, which a JavaScript object cannot hold as data');
  }
  children.forEach((c, i) => checkTreeDef(`${where}.${def.kind === 'object' ? (def.keys as string[])[i] : i}`, c, depth + 1, fail));
}

/** Write a checkpoint atomically: a temporary file in the same directory, fsync, rename (checkpoint-io.ts). */
export function saveCheckpoint(path: string, contents: CheckpointContents): void {
  writeFileAtomic(path, encodeCheckpoint(contents, path));
}

/** Read a checkpoint; throws a CheckpointError for a corrupt or truncated file. */
export function loadCheckpoint(path: string): CheckpointContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileBytes(path);
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
