/**
 * scripts/web-policy.ts end to end, tiny (2 trajectories, 2 epochs, a small U-Net, 3
 * held-out tasks): it writes a sealed policy file that the page's loader reads from bytes,
 * and a note whose numbers describe that file.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainWebPolicy } from '../../scripts/web-policy.js';
import { parameterCount } from '../../src/nn/index.js';
import { SWING_UPS, loadSwingPolicy, policyRollout } from '../../web/swing-up-model.js';

describe('scripts/web-policy.ts', () => {
  it('trains, saves and evaluates a policy the page can load', async () => {
    const out = mkdtempSync(join(tmpdir(), 'web-policy-test-'));
    try {
      const { path, bytes, note } = await trainWebPolicy({ swing: SWING_UPS.pendulum, nTraj: 2, epochs: 2, seed: 0, out, unetDownDims: [8, 8, 16, 16], heldOutTasks: 3 });
      expect(path).toBe(join(out, 'pendulum-sob-diff.safetensors'));
      expect(bytes).toBe(statSync(path).size);
      const policy = loadSwingPolicy(SWING_UPS.pendulum, readFileSync(path));
      expect(note.parameters).toBe(parameterCount(policy.params));
      const written = JSON.parse(readFileSync(join(out, 'pendulum-sob-diff.json'), 'utf8'));
      expect(written.heldOut.tasks).toBe(3);
      expect(written.command).toBe('npx tsx scripts/web-policy.ts --n-traj 2 --epochs 2');
      expect(Number.isFinite(written.heldOut.toAloneCost.mean)).toBe(true);
      // The rollout the page runs works on the loaded policy.
      expect(policyRollout(SWING_UPS.pendulum, policy, Math.PI).xs.length).toBe(201);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
