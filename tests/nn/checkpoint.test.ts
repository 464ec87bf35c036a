/**
 * The checkpoint file (nn/checkpoint.ts): trees round-trip bit for bit with their JSON
 * description, a save replaces the old file atomically, and corrupt, truncated, foreign or
 * mismatched files fail with a CheckpointError that says what is wrong.
 */
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
    expect(() => decodeCheckpoint(flipped)).toThrow(/checksum/);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
    expect(() => decodeCheckpoint(bytes.subarray(0, 40))).toThrow(/truncated/);
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"json": "not a checkpoint"}'))).toThrow(/not a checkpoint/);
    const header = Uint8Array.from(bytes);
    header[14] = 0x7b; // break the JSON
    header[15] = 0x7b;
    expect(() => decodeCheckpoint(header)).toThrow(CheckpointError);
    const dir = tmp();
    writeFileSync(join(dir, 'empty.ckpt'), '');
    expect(() => loadCheckpoint(join(dir, 'empty.ckpt'))).toThrow(/not a checkpoint/);
    expect(() => loadCheckpoint(join(dir, 'nope.ckpt'))).toThrow(/cannot be read/);
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
