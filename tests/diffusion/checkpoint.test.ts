/**
 * Policy and training checkpoints cannot lie (issue 16, item 3): the header edits of the
 * issue (the normalizer's scale, the training step), made by hand even with the header's
 * length kept, raise a CheckpointError through loadPolicy, loadTrainingCheckpoint and a
 * resumed trainDiffusion; so does every random bit flip in a policy's header (the issue's
 * 300, seeded fast-check, seed printed); and descriptions that pass the checksum but are
 * not valid (a hand-made file) are CheckpointErrors naming the field, never raw TypeErrors.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, flatten } from '../../src/autodiff/index.js';
import { CheckpointError } from '../../src/nn/index.js';
import {
  type DiffusionPolicy, type PolicyDescription, fullConfig, initUNet, loadPolicy, loadTrainingCheckpoint, policyFromMeta, policyMeta,
  savePolicy, saveTrainingCheckpoint, squaredCosineSchedule, trainDiffusion,
} from '../../src/diffusion/index.js';

const SEED = 16_2026;
const tmp = () => mkdtempSync(join(tmpdir(), 'diffusion-checkpoint-test-'));

const unet = fullConfig({ actionDim: 1, condDim: 2, stepEmbedDim: 8, downDims: [8, 8], kernelSize: 3, groups: 4 });
const geometry = { horizon: 8, historyLength: 1, taskDim: 0, stateDim: 2 };
const described: PolicyDescription = {
  unet,
  normalizer: {
    action: { center: [0.5], scale: [22.709] },
    cond: { center: [0, 0], scale: [1, 2] },
    state: { center: [0, 0], scale: [1, 2] },
  },
  schedule: squaredCosineSchedule(5),
  geometry,
};
const policy: DiffusionPolicy = { ...described, params: initUNet(new Rng(SEED), unet, 'float64') };
const expectations = { unet, geometry, dtype: 'float64' as const, seed: SEED, useEma: true };

function savedPolicy(): string {
  const path = join(tmp(), 'policy.safetensors');
  savePolicy(path, policy);
  return path;
}

function savedTraining(step = 3): string {
  const path = join(tmp(), 'train.safetensors');
  const p = policy.params;
  saveTrainingCheckpoint(path, { step, params: p, opt: { count: step, mu: p, nu: p }, ema: { params: p, count: step } }, described, SEED);
  return path;
}

/**
 * Replace `from` by `to` in the file's header, as a text editor would, keeping the header's
 * byte length (by taking or giving the difference from its space padding) so that only the
 * checksum can tell.
 */
function editHeader(path: string, from: string, to: string): void {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const text = bytes.subarray(8, 8 + n).toString('utf8');
  expect(text).toContain(from);
  let edited = text.replace(from, to);
  const grow = edited.length - text.length;
  edited = grow > 0 ? edited.replace(new RegExp(` {${grow}}$`), '') : edited + ' '.repeat(-grow);
  expect(Buffer.byteLength(edited)).toBe(n);
  expect(() => JSON.parse(edited)).not.toThrow(); // still a well-formed header
  writeFileSync(path, Buffer.concat([bytes.subarray(0, 8), Buffer.from(edited), bytes.subarray(8 + n)]));
}

function expectCheckpointError(f: () => unknown, pattern: RegExp): void {
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(CheckpointError);
  expect((caught as Error).message).toMatch(pattern);
}

describe('policy checkpoints cannot lie', () => {
  it('a saved policy loads back bit for bit (the edits below are what breaks it)', () => {
    const back = loadPolicy(savedPolicy());
    expect(back.normalizer).toEqual(policy.normalizer);
    expect(flatten(back.params)[0].map((t) => t.toArray())).toEqual(flatten(policy.params)[0].map((t) => t.toArray()));
  });

  it("the issue's edit of the normalizer scale (22.709 -> 92.709, or a longer 122.709) raises a CheckpointError", () => {
    for (const to of ['92.709', '122.709', '22.7']) {
      const path = savedPolicy();
      editHeader(path, '22.709', to);
      expectCheckpointError(() => loadPolicy(path), /checksum mismatch/);
    }
  });

  it('an edited step in a training checkpoint raises a CheckpointError, on load and on resume', () => {
    const path = savedTraining(3);
    expect(loadTrainingCheckpoint(path, expectations).state.step).toBe(3);
    editHeader(path, '\\"step\\":3', '\\"step\\":5');
    expectCheckpointError(() => loadTrainingCheckpoint(path, expectations), /checksum mismatch/);
    expectCheckpointError(() => loadPolicy(path), /checksum mismatch/);

    // Through trainDiffusion's resume, on a real training checkpoint.
    const rng = new Rng(SEED);
    const xHist = rng.uniform([8, 1, 2], -1, 1);
    const data = { tau0: rng.normal([8, 8, 1]), xHist, oHist: xHist };
    const config = { batchSize: 4, seed: SEED, steps: 4, unet: { stepEmbedDim: 8, downDims: [8, 8], kernelSize: 3, groups: 4 } };
    const run = join(tmp(), 'run.safetensors');
    trainDiffusion(data, { ...config, stopAfter: 2, checkpointPath: run });
    editHeader(run, '\\"step\\":2', '\\"step\\":1');
    expectCheckpointError(() => trainDiffusion(data, { ...config, resumeFrom: run }), /checksum mismatch/);
  });

  it(`every random bit flip in a policy's header raises a CheckpointError through loadPolicy (300 runs, seed ${SEED})`, () => {
    const path = savedPolicy();
    const bytes = readFileSync(path);
    const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
    const dir = tmp();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: headerEnd - 1 }), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const flipped = Buffer.from(bytes);
        flipped[at] ^= 1 << bit;
        const file = join(dir, 'flipped.safetensors');
        writeFileSync(file, flipped);
        expect(() => loadPolicy(file)).toThrow(CheckpointError);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('policy descriptions are checked field by field (files that pass the checksum but were made by hand)', () => {
  const meta = policyMeta(described) as Record<string, unknown>;
  const withField = (key: string, value: unknown) => ({ ...meta, [key]: value }) as never;

  it('the description written by policyMeta reads back as it was', () => {
    const back = policyFromMeta('p', policyMeta(described));
    expect(back.unet).toEqual(described.unet);
    expect(back.normalizer).toEqual(described.normalizer);
    expect(back.geometry).toEqual(described.geometry);
    expect(back.schedule.K).toBe(5);
  });

  it('invalid fields are CheckpointErrors that name them', () => {
    expectCheckpointError(() => policyFromMeta('p', null), /lacks the policy description/);
    expectCheckpointError(() => policyFromMeta('p', withField('K', 2.5)), /K = 2.5/);
    expectCheckpointError(() => policyFromMeta('p', withField('K', 0)), /K = 0/);
    expectCheckpointError(() => policyFromMeta('p', withField('unet', { actionDim: 'one', condDim: 2 })), /invalid unet/);
    expectCheckpointError(() => policyFromMeta('p', withField('unet', { actionDim: 1, condDim: 2, downDims: 7 })), /invalid unet/);
    expectCheckpointError(() => policyFromMeta('p', withField('geometry', { ...geometry, horizon: -8 })), /geometry.horizon = -8/);
    expectCheckpointError(() => policyFromMeta('p', withField('geometry', { ...geometry, stateDim: '2' })), /geometry.stateDim/);
    const normalizer = described.normalizer;
    expectCheckpointError(() => policyFromMeta('p', withField('normalizer', { ...normalizer, action: { center: [0], scale: [0] } })), /normalizer.action/);
    expectCheckpointError(() => policyFromMeta('p', withField('normalizer', { ...normalizer, cond: { center: [0], scale: [1] } })), /normalizer.cond/);
    expectCheckpointError(() => policyFromMeta('p', withField('normalizer', { ...normalizer, state: null })), /normalizer.state/);
    expectCheckpointError(() => policyFromMeta('p', withField('normalizer', { ...normalizer, state: { center: [0, null], scale: [1, 1] } })), /normalizer.state/);
  });
});
