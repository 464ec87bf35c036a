/**
 * The checkpoint file (nn/checkpoint.ts): trees round-trip bit for bit with their JSON
 * description, a save replaces the old file atomically, the bytes are a safetensors file
 * sealed by a SHA-256 over everything else, and corrupt, truncated, foreign, old-format or
 * mismatched files fail with a CheckpointError that says what is wrong. The fuzzing of
 * corruptions is checkpoint-fuzz.test.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PyTree, Rng, type Tensor, flatten } from '../../src/autodiff/index.js';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, expectTreeLike, loadCheckpoint, saveCheckpoint } from '../../src/nn/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'checkpoint-test-'));

describe('checkpoints', () => {
  const trees = () => ({ params: { w: new Rng(1).normal([3, 4]), b: [new Rng(2).normal([4], 0, 1, 'float32')] } });

  it('round-trips trees bit for bit and the JSON description', () => {
    const dir = tmp();
    const path = join(dir, 'a.ckpt');
    const contents = { meta: { step: 7, name: 'x', list: [1, 2] }, trees: trees() };
    saveCheckpoint(path, contents);
    const back = loadCheckpoint(path);
    expect(back.meta).toEqual(contents.meta);
    const [a] = flatten(contents.trees.params as PyTree);
    const [b] = flatten(back.trees.params);
    expect(b.map((t) => t.dtype)).toEqual(['float32', 'float64']);
    a.forEach((t, i) => expect(b[i].toArray()).toEqual(t.toArray()));
    expect(readdirSync(dir)).toEqual(['a.ckpt']); // no temporary file left behind
  });

  it('replaces a checkpoint atomically: a failed save leaves the old file intact', () => {
    const dir = tmp();
    const path = join(dir, 'a.ckpt');
    saveCheckpoint(path, { meta: 1, trees: trees() });
    const before = readFileSync(path);
    const bad = { meta: 2, trees: { params: { w: 'not a tensor' as unknown as Tensor } } };
    expect(() => saveCheckpoint(path, bad)).toThrow();
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(() => saveCheckpoint(join(dir, 'missing', 'b.ckpt'), { meta: 3, trees: trees() })).toThrow();
    expect(readdirSync(dir)).toEqual(['a.ckpt']);
  });

  it('reports corrupt, truncated and foreign files with a CheckpointError', () => {
    const bytes = encodeCheckpoint({ meta: null, trees: trees() });
    const flipped = Uint8Array.from(bytes);
    flipped[flipped.length - 3] ^= 0x40;
    expect(() => decodeCheckpoint(flipped)).toThrow(/checksum mismatch/);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
    expect(() => decodeCheckpoint(bytes.subarray(0, 40))).toThrow(/truncated/);
    expect(() => decodeCheckpoint(bytes.subarray(0, 5))).toThrow(/truncated/);
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"json": "not a checkpoint"}'))).toThrow(/not a checkpoint/);
    const header = Uint8Array.from(bytes);
    header[10] = 0x7b; // break the JSON
    header[11] = 0x7b;
    expect(() => decodeCheckpoint(header)).toThrow(CheckpointError);
    const dir = tmp();
    writeFileSync(join(dir, 'empty.ckpt'), '');
    expect(() => loadCheckpoint(join(dir, 'empty.ckpt'))).toThrow(/not a checkpoint/);
    expect(() => loadCheckpoint(join(dir, 'nope.ckpt'))).toThrow(/cannot be read/);
  });

  it('refuses a file of the previous format (SOBDIFF1) with a CheckpointError that says it is old', () => {
    // The old layout: magic, uint32 header length, JSON header (not covered by its checksum), payload.
    const json = new TextEncoder().encode(JSON.stringify({ format: 'sobolev-diffusion-checkpoint', version: 1, meta: null, trees: {}, tensors: [], payloadBytes: 0, checksum: '811c9dc5' }));
    const old = new Uint8Array(Math.ceil((12 + json.length) / 8) * 8);
    old.set(new TextEncoder().encode('SOBDIFF1'), 0);
    new DataView(old.buffer).setUint32(8, json.length, true);
    old.set(json, 12);
    expect(() => decodeCheckpoint(old)).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(old)).toThrow(/old format/);
  });

  it('is a safetensors file: length, JSON header with dtype, shape and data_offsets, string metadata, raw little-endian data', () => {
    const w = new Rng(1).normal([3, 4]);
    const b = new Rng(2).normal([4], 0, 1, 'float32');
    const bytes = encodeCheckpoint({ meta: { step: 7 }, trees: { params: { w, b: [b] } } });
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0); // the data start aligned, the header padded with spaces
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    // float64 first, then float32, back to back: as safetensors' own writer orders them
    expect(header['params.w']).toEqual({ dtype: 'F64', shape: [3, 4], data_offsets: [0, 96] });
    expect(header['params.b.0']).toEqual({ dtype: 'F32', shape: [4], data_offsets: [96, 112] });
    expect(bytes.length).toBe(8 + n + 112);
    const meta = header.__metadata__;
    expect(Object.values(meta).every((v) => typeof v === 'string')).toBe(true);
    expect(JSON.parse(meta.meta)).toEqual({ step: 7 });
    expect(meta.format).toBe('sobolev-to-checkpoint');
    const data = bytes.slice(8 + n);
    const view = new DataView(data.buffer);
    expect(view.getFloat64(8 * 5, true)).toBe(w.toArray()[5]);
    expect(view.getFloat32(96 + 4 * 2, true)).toBe(b.toArray()[2]);
    // The seal: SHA-256 of the file with its own 64 digits read as '0'.
    const digits: string = meta.sha256;
    const text = Buffer.from(bytes).toString('latin1');
    const sealed = Buffer.from(text.replace(digits, '0'.repeat(64)), 'latin1');
    expect(createHash('sha256').update(sealed).digest('hex')).toBe(digits);
  });

  it('names leaves PyTorch-style and refuses two leaves with one name', () => {
    const t = new Rng(1).normal([2]);
    const bytes = encodeCheckpoint({ meta: null, trees: { ema: t, params: { a: [t, { b: t }] } } });
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const names = Object.keys(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)))).sort();
    expect(names).toEqual(['__metadata__', 'ema', 'params.a.0', 'params.a.1.b']);
    expect(() => encodeCheckpoint({ meta: null, trees: { params: { 'a.b': t, a: { b: t } } } })).toThrow(/two leaves .* "params.a.b"/);
    expect(() => encodeCheckpoint({ meta: null, trees: { __metadata__: t } })).toThrow(CheckpointError);
    expect(() => encodeCheckpoint({ meta: undefined as never, trees: { params: t } })).toThrow(/meta must be JSON/);
  });
});

describe('expectTreeLike', () => {
  it('accepts a tree of the reference structure and names the first leaf that differs', () => {
    const reference = { a: new Rng(1).normal([2, 3]), b: [new Rng(2).normal([4])] };
    const same = { a: new Rng(3).normal([2, 3]), b: [new Rng(4).normal([4])] };
    expect(expectTreeLike('x.ckpt', 'params', same, reference)).toBe(same);
    const wrongShape = { a: new Rng(3).normal([3, 2]), b: [new Rng(4).normal([4])] };
    expect(() => expectTreeLike('x.ckpt', 'params', wrongShape, reference)).toThrow(/checkpoint x.ckpt: params does not match the model: expected a float64 \[2, 3\], found a float64 \[3, 2\]/);
    const wrongDtype = { a: new Rng(3).normal([2, 3], 0, 1, 'float32'), b: [new Rng(4).normal([4])] };
    expect(() => expectTreeLike('x.ckpt', 'params', wrongDtype, reference)).toThrow(CheckpointError);
    expect(() => expectTreeLike('x.ckpt', 'params', { a: same.a }, reference)).toThrow(/expected b\[0\] float64 \[4\], found \(none\)/);
    expect(() => expectTreeLike('x.ckpt', 'EMA weights', undefined, reference)).toThrow(/has no EMA weights/);
  });
});
