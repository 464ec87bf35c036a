/**
 * The methods the main paper compares, trained on a set of solver trajectories of any task:
 * Sob+Diff and Diff (diffusion policies, L_Sob+Diff and L_Diff, eq. 11) and MLP and Sob+MLP
 * (PDDP without and with the Sobolev term on the gains). A training job is plain data in and
 * out, so it runs on this thread or on a worker (workers/jobs.ts) with the same result.
 *
 * To add a method: a name in METHODS, its line in METHOD_INFO, and its branch in
 * `runTrainingJob`; the runner, the evaluation and the reports pick it up from there.
 */
import { Rng } from '../autodiff/index.js';
import { savePolicy, trainDiffusion } from '../diffusion/index.js';
import type { MLPParams } from '../nn/index.js';
import { chunksPerEpoch, stateChunkDataset, torqueChunkDataset, withTaskCondition } from './chunks.js';
import type { SolvedTrajectory } from './collect.js';
import { type MlpPolicy, initMlpPolicy, mlpDtype, pairsFromTrajectories, trainMlpPolicy } from './mlp-policy.js';
import { taskByName } from '../tasks/index.js';
import { ConcreteTensor, flatten, tensor, unflatten } from '../autodiff/index.js';

export const METHODS = ['sob-diff', 'diff', 'mlp', 'sob-mlp'] as const;
export type Method = (typeof METHODS)[number];

export interface MethodInfo {
  /** As the papers write it, for tables and plots. */
  label: string;
  family: 'diffusion' | 'mlp';
  /** Relative training time (measured on the pendulum's default run): the longest jobs start first. */
  relativeCost: number;
}

export const METHOD_INFO: Record<Method, MethodInfo> = {
  'sob-diff': { label: 'Sob+Diff', family: 'diffusion', relativeCost: 4 },
  diff: { label: 'Diff', family: 'diffusion', relativeCost: 2 },
  mlp: { label: 'MLP', family: 'mlp', relativeCost: 1 },
  'sob-mlp': { label: 'Sob+MLP', family: 'mlp', relativeCost: 3 },
};

export interface TrainingSettings {
  /** T_h and T_o of the diffusion policy's chunks, and its diffusion steps K. */
  horizon: number;
  historyLength: number;
  /** State actions: chunks also run past a trajectory's end, holding x_T (chunks.ts ChunkOptions.holdEnd; absent: false). */
  holdEnd?: boolean;
  diffusionSteps: number;
  alphaSob: number;
  diffusionBatch: number;
  diffusionLr: number;
  /** dtype of the diffusion network's weights and computation (float32: the faster kernels; tests pin it to float64). */
  diffusionDtype: 'float32' | 'float64';
  /** dtype of the MLP policies (float32 in the runner, as PyTorch; the consensus experiments keep float64). */
  mlpDtype: 'float32' | 'float64';
  mlpHidden: number[];
  mlpBatch: number;
  mlpLr: number;
  /** A smaller U-Net for quick checks (tests): its down dims. */
  unetDownDims?: number[];
}

/**
 * The trajectory fields training reads (structured-cloneable); the instance only where the
 * task conditions its policy on the instance (Task.condition).
 */
export type TrainingTrajectory = Pick<SolvedTrajectory, 'xs' | 'us' | 'K' | 'fx' | 'fu'> & Partial<Pick<SolvedTrajectory, 'instance'>>;

export interface TrainingJob {
  /** The task's registry name (its model, bounds and horizon). */
  task: string;
  method: Method;
  trajectories: TrainingTrajectory[];
  epochs: number;
  seed: number;
  settings: TrainingSettings;
  /** Diffusion: where training checkpoints go and where the trained policy is saved. */
  checkpointPath: string;
  policyPath: string;
  /** Diffusion: continue an interrupted training from this checkpoint (bit for bit as if it had not stopped). */
  resumeFrom?: string;
}

/** What a job returns: the saved diffusion policy's path, or the MLP's weights as plain arrays. */
export type TrainedArtifact =
  | { kind: 'diffusion'; policyPath: string; finalLoss: number }
  | { kind: 'mlp'; policy: Omit<MlpPolicy, 'params'>; leaves: { data: Float64Array; shape: number[] }[]; finalLoss: number };

export interface TrainingProgress {
  done: number;
  total: number;
  loss: number;
}

export type ProgressReport = (progress: TrainingProgress) => void;

export function runTrainingJob(job: TrainingJob, report: ProgressReport): TrainedArtifact {
  const { method, trajectories, epochs, seed, settings } = job;
  const task = taskByName(job.task);
  if (METHOD_INFO[method].family === 'mlp') {
    // The task parameters appended to the state where the task conditions its policy on them (Task.condition).
    const { condition } = task;
    const conditions = condition === undefined ? undefined : trajectories.map((tr, i) => {
      if (tr.instance === undefined) throw new RangeError(`${method} on ${task.name}: trajectory ${i} carries no instance to condition on`);
      return condition(tr.instance);
    });
    const pairs = pairsFromTrajectories(trajectories, conditions);
    const rng = new Rng(seed * 7919 + 17);
    const { dynamics } = task;
    const bounds = dynamics.controlBounds;
    if (bounds === null) throw new RangeError(`${method} on ${task.name}: the MLP's tanh output needs control bounds`);
    const policy = initMlpPolicy(rng, {
      stateDim: dynamics.nx, controlDim: dynamics.nu, hidden: settings.mlpHidden,
      lower: Array.from(bounds.lower), upper: Array.from(bounds.upper), dtype: settings.mlpDtype,
      ...(pairs.conditionDim ? { conditionDim: pairs.conditionDim } : {}),
    }, pairs);
    let finalLoss = NaN;
    const trained = trainMlpPolicy(policy, pairs, {
      epochs, batchSize: settings.mlpBatch, lr: settings.mlpLr, alphaSob: method === 'sob-mlp' ? settings.alphaSob : 0, rng,
      onEpoch: (e, loss) => {
        finalLoss = loss;
        report({ done: e + 1, total: epochs, loss });
      },
    });
    const { params, ...rest } = trained;
    const [leaves] = flatten(params);
    return { kind: 'mlp', policy: rest, leaves: leaves.map((l) => ({ data: Float64Array.from(l.concrete().data), shape: [...l.shape] })), finalLoss };
  }
  const chunking = { horizon: settings.horizon, historyLength: settings.historyLength, holdEnd: settings.holdEnd };
  const { action } = task;
  const raw = action.kind === 'torque'
    ? torqueChunkDataset(trajectories as SolvedTrajectory[], chunking)
    : stateChunkDataset(trajectories as SolvedTrajectory[], chunking, (x) => action.encode(x), task.dynamics.manifold);
  // The chunk builders observe the state itself; a task with its own observation (Task.observe) sees o = observe(x_hist), as in the rollout.
  const chunks = task.observe === undefined ? raw : { ...raw, oHist: task.observe(raw.xHist) };
  // The task parameters join the condition only where the task has them (the swing-ups do not: their datasets are unchanged).
  const { condition } = task;
  const dataset = condition === undefined ? chunks : withTaskCondition(chunks, trajectories, (instance) => condition(instance));
  const steps = Math.max(1, Math.ceil((epochs * chunksPerEpoch(trajectories.length, task.horizon, settings.horizon)) / settings.diffusionBatch));
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
    // State actions: the chunk's first T_o entries are the observed history, inpainted when sampling.
    knownPrefix: action.kind === 'state' ? settings.historyLength : 0,
    observe: task.observe,
    logEvery: Math.max(1, Math.floor(steps / 100)),
    onProgress: (p) => {
      finalLoss = p.loss;
      report({ done: p.step, total: steps, loss: p.loss });
    },
    checkpointPath: job.checkpointPath,
    resumeFrom: job.resumeFrom,
    checkpointEvery: Math.max(50, Math.floor(steps / 10)),
  });
  savePolicy(job.policyPath, result.policy);
  return { kind: 'diffusion', policyPath: job.policyPath, finalLoss };
}

/** Rebuild an MLP policy from its artifact (the weights travel as plain arrays). */
export function mlpFromArtifact(artifact: Extract<TrainedArtifact, { kind: 'mlp' }>): MlpPolicy {
  const { policy, leaves } = artifact;
  const template = mlpTemplate(policy);
  const [, def] = flatten(template);
  // The leaves travel as float64; a float32 policy's values convert back exactly.
  const params = unflatten<MLPParams>(def, leaves.map((l) => tensor(l.data, l.shape, mlpDtype(policy.config))));
  return { ...policy, params };
}

/** An MLP parameter tree of the right structure, to rebuild one from its leaves. */
function mlpTemplate(policy: Omit<MlpPolicy, 'params'>): MLPParams {
  const sizes = [policy.config.stateDim + (policy.config.conditionDim ?? 0), ...policy.config.hidden, policy.config.controlDim];
  return sizes.slice(1).map((out, i) => ({
    weight: new ConcreteTensor(new Float64Array(out * sizes[i]), [out, sizes[i]]),
    bias: new ConcreteTensor(new Float64Array(out), [out]),
  }));
}
