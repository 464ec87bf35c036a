/**
 * Training the four methods of the main paper's pendulum experiment on a set of solver
 * trajectories: Sob+Diff and Diff (diffusion policies, L_Sob+Diff and L_Diff) and MLP and
 * Sob+MLP (PDDP without and with the Sobolev term on the gains). One function per job, with
 * plain-data inputs and outputs, so a job can run on this thread or in a training worker
 * (training-pool.ts) with the same result.
 */
import { Rng } from '../autodiff/index.js';
import { savePolicy, trainDiffusion } from '../diffusion/index.js';
import type { MLPParams } from '../nn/index.js';
import { chunksPerEpoch, torqueChunkDataset } from './chunks.js';
import type { SolvedTrajectory } from './collect.js';
import { type MlpPolicy, initMlpPolicy, pairsFromTrajectories, trainMlpPolicy } from './mlp-policy.js';
import { pendulumModel, PENDULUM_TASK } from './pendulum-task.js';
import { ConcreteTensor, flatten, unflatten } from '../autodiff/index.js';

export const METHODS = ['sob-diff', 'diff', 'mlp', 'sob-mlp'] as const;
export type Method = (typeof METHODS)[number];

export interface TrainingSettings {
  /** T_h and T_o of the diffusion policy's chunks, and its diffusion steps K. */
  horizon: number;
  historyLength: number;
  diffusionSteps: number;
  alphaSob: number;
  diffusionBatch: number;
  diffusionLr: number;
  /** dtype of the diffusion network's weights and computation (float32: the faster kernels; tests pin it to float64). */
  diffusionDtype: 'float32' | 'float64';
  mlpHidden: number[];
  mlpBatch: number;
  mlpLr: number;
  /** A smaller U-Net for quick checks (tests): its down dims. */
  unetDownDims?: number[];
}

/** The trajectory fields training reads (structured-cloneable). */
export type TrainingTrajectory = Pick<SolvedTrajectory, 'xs' | 'us' | 'K' | 'fx' | 'fu'>;

export interface TrainingJob {
  method: Method;
  trajectories: TrainingTrajectory[];
  epochs: number;
  seed: number;
  settings: TrainingSettings;
  /** Diffusion: where training checkpoints go and where the trained policy is saved. */
  checkpointPath: string;
  policyPath: string;
}

/** What a job returns: the saved diffusion policy's path, or the MLP's weights as plain arrays. */
export type TrainedArtifact =
  | { kind: 'diffusion'; policyPath: string; finalLoss: number }
  | { kind: 'mlp'; policy: Omit<MlpPolicy, 'params'>; leaves: { data: Float64Array; shape: number[] }[]; finalLoss: number };

export type ProgressReport = (done: number, total: number, loss: number) => void;

export function runTrainingJob(job: TrainingJob, report: ProgressReport): TrainedArtifact {
  const { method, trajectories, epochs, seed, settings } = job;
  if (method === 'mlp' || method === 'sob-mlp') {
    const pairs = pairsFromTrajectories(trajectories);
    const rng = new Rng(seed * 7919 + 17);
    const bounds = pendulumModel.controlBounds!;
    const policy = initMlpPolicy(rng, {
      stateDim: pendulumModel.nx, controlDim: pendulumModel.nu, hidden: settings.mlpHidden,
      lower: Array.from(bounds.lower), upper: Array.from(bounds.upper),
    }, pairs);
    let finalLoss = NaN;
    const trained = trainMlpPolicy(policy, pairs, {
      epochs, batchSize: settings.mlpBatch, lr: settings.mlpLr, alphaSob: method === 'sob-mlp' ? settings.alphaSob : 0, rng,
      onEpoch: (e, loss) => {
        finalLoss = loss;
        report(e + 1, epochs, loss);
      },
    });
    const { params, ...rest } = trained;
    const [leaves] = flatten(params);
    return { kind: 'mlp', policy: rest, leaves: leaves.map((l) => ({ data: Float64Array.from(l.concrete().data), shape: [...l.shape] })), finalLoss };
  }
  const dataset = torqueChunkDataset(trajectories as SolvedTrajectory[], { horizon: settings.horizon, historyLength: settings.historyLength });
  const steps = Math.max(1, Math.ceil((epochs * chunksPerEpoch(trajectories.length, PENDULUM_TASK.horizon, settings.horizon)) / settings.diffusionBatch));
  let finalLoss = NaN;
  const result = trainDiffusion(dataset, {
    steps,
    batchSize: settings.diffusionBatch,
    seed: seed * 7919 + (method === 'sob-diff' ? 1 : 2),
    loss: method === 'sob-diff' ? 'sob' : 'diff',
    alphaSob: settings.alphaSob,
    lr: settings.diffusionLr,
    dtype: settings.diffusionDtype,
    K: settings.diffusionSteps,
    unet: settings.unetDownDims ? { downDims: settings.unetDownDims } : undefined,
    logEvery: Math.max(1, Math.floor(steps / 100)),
    onProgress: (p) => {
      finalLoss = p.loss;
      report(p.step, steps, p.loss);
    },
    checkpointPath: job.checkpointPath,
    checkpointEvery: Math.max(50, Math.floor(steps / 10)),
  });
  savePolicy(job.policyPath, result.policy);
  return { kind: 'diffusion', policyPath: job.policyPath, finalLoss };
}

/** Rebuild an MLP policy from its artifact (the weights travel as plain arrays). */
export function mlpFromArtifact(artifact: Extract<TrainedArtifact, { kind: 'mlp' }>): MlpPolicy {
  const { policy, leaves } = artifact;
  const template = pendulumTemplate(policy);
  const [, def] = flatten(template);
  const params = unflatten<MLPParams>(def, leaves.map((l) => new ConcreteTensor(Float64Array.from(l.data), l.shape)));
  return { ...policy, params };
}

/** An MLP parameter tree of the right structure, to rebuild one from its leaves. */
function pendulumTemplate(policy: Omit<MlpPolicy, 'params'>): MLPParams {
  const sizes = [policy.config.stateDim, ...policy.config.hidden, policy.config.controlDim];
  return sizes.slice(1).map((out, i) => ({
    weight: new ConcreteTensor(new Float64Array(out * sizes[i]), [out, sizes[i]]),
    bias: new ConcreteTensor(new Float64Array(out), [out]),
  }));
}
