/**
 * An experiment's output folder: what may be in it when a run starts, what a run records
 * about where it ran (provenance), the trained artifacts it stores so that `--resume` can
 * skip finished trainings, and the training files it keeps (`--keep-checkpoints`).
 *
 *   config.json            the configuration, with provenance (git commit, Node, workers, network sizes)
 *   results.json / .md     the results (report.ts)
 *   *.svg                  the figures
 *   checkpoint-NAME.safetensors   a diffusion training's state every few hundred steps (resume a training)
 *   policy-NAME.safetensors       a trained diffusion policy
 *   artifact-NAME.safetensors     a finished training: the MLP's weights, or the diffusion policy's file
 *
 * The last three are sealed safetensors files (nn/checkpoint.ts: a corrupt one raises
 * CheckpointError, never loads). Every file is written to a temporary name and renamed, so
 * an interrupted run never leaves a half-written one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConcreteTensor, Rng } from '../../autodiff/index.js';
import { describeUNet, initUNet } from '../../diffusion/index.js';
import type { TrainedArtifact } from '../../learning/methods.js';
import type { MlpPolicyConfig } from '../../learning/mlp-policy.js';
import { CheckpointError, loadCheckpoint, saveCheckpoint } from '../../nn/checkpoint.js';
import type { Task } from '../../tasks/index.js';
import type { ExperimentConfig, StartMode } from './config.js';

export function atomicWrite(path: string, content: string | Uint8Array): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

/** The files a run writes (and --force deletes), and the temporary names they are written under. */
const RUN_FILE = /^\.?(config\.json|results\.(json|md)|.*\.(svg|csv|safetensors))(\.tmp(-\d+-\d+)?)?$/;

/** Make `dir` ready for a run: new or empty; or cleared of an old run's files (force); or holding the run to resume. */
export function prepareFolder(dir: string, mode: StartMode): void {
  if (mode === 'resume') {
    if (!existsSync(join(dir, 'config.json'))) throw new RangeError(`--resume ${dir}: no run there (config.json is missing)`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  const present = readdirSync(dir);
  if (present.length === 0) return;
  if (mode === 'fresh') {
    throw new RangeError(`--out ${dir} is not empty (${present.length} files): pass --force to replace the run there, or --resume ${dir} to continue it`);
  }
  for (const name of present) if (RUN_FILE.test(name)) rmSync(join(dir, name));
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The code a run was made with: the git commit (and whether the tree had changes) and Node's version. */
export function codeProvenance() {
  const status = git(['status', '--porcelain']);
  return { gitCommit: git(['rev-parse', 'HEAD']), gitDirty: status === null ? null : status !== '', node: process.version };
}

/** Where and with what a run was made: enough to tell two results apart. */
export function provenance(config: ExperimentConfig, task: Task, workers: number) {
  const { nx, nu } = task.dynamics;
  const mlpSizes = [nx, ...config.mlpHidden, nu];
  const unet = { actionDim: nu, condDim: config.historyLength * nx, downDims: config.unetDownDims };
  return {
    ...codeProvenance(),
    workers,
    networks: {
      unetParameters: describeUNet(initUNet(new Rng(0), unet), unet).parameters,
      mlpLayers: mlpSizes,
      mlpParameters: mlpSizes.slice(1).reduce((n, out, i) => n + out * (mlpSizes[i] + 1), 0),
    },
  };
}

/** A finished training, stored so that a resumed run loads it instead of training again. */
export function saveArtifact(path: string, artifact: TrainedArtifact): void {
  if (artifact.kind === 'diffusion') {
    saveCheckpoint(path, { meta: { kind: 'diffusion', policyPath: artifact.policyPath, finalLoss: finite(artifact.finalLoss) }, trees: {} });
    return;
  }
  const { policy, leaves, finalLoss } = artifact;
  const { config, center, scale } = policy;
  saveCheckpoint(path, {
    meta: { kind: 'mlp', config: { ...config, hidden: [...config.hidden], lower: [...config.lower], upper: [...config.upper] }, center: [...center], scale: [...scale], finalLoss: finite(finalLoss) },
    trees: { leaves: leaves.map((l) => new ConcreteTensor(Float64Array.from(l.data), l.shape)) },
  });
}

/** JSON has no NaN: a loss that was not recorded is stored as null. */
const finite = (v: number) => (Number.isFinite(v) ? v : null);

/** The stored artifact at `path`, or null if there is none; a corrupt file raises CheckpointError. */
export function loadArtifact(path: string): TrainedArtifact | null {
  if (!existsSync(path)) return null;
  const { meta, trees } = loadCheckpoint(path);
  const m = meta as { kind?: string; policyPath?: string; finalLoss?: number | null; config?: MlpPolicyConfig; center?: number[]; scale?: number[] };
  const finalLoss = m.finalLoss ?? NaN;
  if (m.kind === 'diffusion' && typeof m.policyPath === 'string') {
    if (!existsSync(m.policyPath)) throw new CheckpointError(path, `names a policy file that is missing (${m.policyPath})`);
    return { kind: 'diffusion', policyPath: m.policyPath, finalLoss };
  }
  const leaves = trees.leaves;
  if (m.kind === 'mlp' && m.config !== undefined && Array.isArray(m.center) && Array.isArray(m.scale) && Array.isArray(leaves)) {
    return {
      kind: 'mlp', finalLoss,
      policy: { config: m.config, center: m.center, scale: m.scale },
      leaves: (leaves as ConcreteTensor[]).map((l) => ({ data: Float64Array.from(l.data), shape: [...l.shape] })),
    };
  }
  throw new CheckpointError(path, 'is not a trained artifact (kind diffusion with a policy path, or mlp with its weights)');
}

/** Remove a file if it is there (training checkpoints once their training has finished, with --keep-checkpoints last or none). */
export function removeIfPresent(path: string): void {
  rmSync(path, { force: true });
}
