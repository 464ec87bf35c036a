/**
 * The UR5 reaching experiments of the main paper (sections 4.3-4.4): Fig. 1's UR5(0, 0)
 * panel (the four methods after one collection, n_algo = 1) and Fig. 3 (Alg. 1 over several
 * iterations on UR5(1, 0) and UR5(1, 1), Sob+Diff and Diff at several T_a). The tasks are
 * src/tasks/ur5.ts, one registered task per variant; `--variant r_init,r_tgt` picks it.
 *
 * Default: UR5(0, 0), all four methods, n_traj 10, n_pl = 2000 (the paper's Sob+MLP budget on
 * UR5(0, 0); its diffusion policies get up to 10^4), n_algo = 1, 20 held-out tasks, T_h = 32,
 * T_a = 16 (and 31 at evaluation). About 8 minutes here with --workers 1 on two shared cores.
 *
 * The diffusion policies train on chunks that run past a trajectory's end too, holding its
 * last state (--chunk-end hold, ours; learning/chunks.ts): a chunk must otherwise fit the
 * trajectory, and with T = 100 and T_h = 64 no state after t = 37 would ever be observed,
 * while a rollout with T_a = 63 replans at t = 63.
 *
 * --full, the paper's Fig. 3 protocol as far as the runner goes: Sob+Diff and Diff,
 * n_pl = 10^4, T_h = 32, T_a in {16, 31} (T_a = 63 needs --th 64, a second run), n_algo = 5
 * (the paper's figure does not state it; ours), evaluation after every iteration on 50
 * held-out tasks, n_traj = 50 for the first three iterations and 100 after (doubled for
 * r_tgt = 1), as the paper's. Every run draws the end-effector paths of held-out task 0
 * (Fig. 3e-f: TO alone, each policy's rollout and the solution refined from it). Expected
 * wall time on two cores: about 4.5 hours for UR5(1, 0) (measured, 2026-12-03; the Sob+Diff
 * training dominates), about twice that with a random target; --resume continues a run.
 *
 *   npx tsx src/experiments/ur5.ts [--variant r_init,r_tgt] [--full | --quick] [--help] [flags]
 */
import { pathToFileURL } from 'node:url';
import { METHODS } from '../learning/methods.js';
import { ur5TaskName } from '../tasks/index.js';
import type { ExperimentSpec } from './runner/config.js';
import { runFromCommandLine } from './runner/runner.js';

/** The experiment of one variant UR5(r_init, r_tgt): --full's n_traj doubles with a random target, as in the paper. */
export function ur5Experiment(rInit: 0 | 1 = 0, rTgt: 0 | 1 = 0): ExperimentSpec {
  return {
    name: 'ur5',
    task: ur5TaskName(rInit, rTgt),
    about: `The main paper's UR5 reaching experiments: Fig. 1's UR5(0, 0) (four methods, n_algo = 1) and
Fig. 3's UR5(1, 0) and UR5(1, 1) (Alg. 1 over several iterations, Sob+Diff and Diff at several
T_a). State actions a_t = x_t, decoded by RNEA. This run: UR5(${rInit}, ${rTgt}).
  --variant R_INIT,R_TGT  the variant, each 0 or 1 (default 0,0); it sets --task
--full takes about 4.5 hours on two cores with a fixed target (measured on UR5(1, 0)), about
twice that with a random target; --resume continues an interrupted run.`,
    defaults: {
      seeds: [0],
      nTraj: [10],
      epochs: [2000],
      methods: [...METHODS],
      nAlgo: 1,
      evalTasks: 20,
      horizon: 32,
      historyLength: 1,
      holdEnd: true,
      actionsPerPlan: 16,
      evalActionsPerPlan: [31],
      evalEveryIteration: false,
      diffusionSteps: 5,
      alphaSob: 1,
      diffusionBatch: 64,
      maxIterations: 1000,
    },
    full: {
      methods: ['sob-diff', 'diff'], nTraj: [50 * (rTgt + 1)], nTrajPerIteration: [50, 50, 50, 100, 100].map((n) => n * (rTgt + 1)), epochs: [10_000], nAlgo: 5, evalTasks: 50,
      actionsPerPlan: 16, evalActionsPerPlan: [16, 31], evalEveryIteration: true,
    },
    quick: { nTraj: [3], epochs: [20], evalTasks: 4, evalActionsPerPlan: [] },
  };
}

export const UR5_EXPERIMENT = ur5Experiment();

/** Split `--variant r_init,r_tgt` off a command line: the variant and the rest of the flags for the runner. */
export function parseVariant(argv: readonly string[]): { rInit: 0 | 1; rTgt: 0 | 1; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--variant') value = argv[++i] ?? '';
    else if (arg.startsWith('--variant=')) value = arg.slice('--variant='.length);
    else rest.push(arg);
  }
  if (value === undefined) return { rInit: 0, rTgt: 0, rest };
  const match = /^\s*([01])\s*,\s*([01])\s*$/.exec(value);
  if (match === null) throw new RangeError(`--variant: expected r_init,r_tgt with each 0 or 1 (e.g. 1,0), got "${value}"`);
  if (rest.includes('--task') || rest.some((a) => a.startsWith('--task='))) throw new RangeError('--variant sets the task: drop --task');
  return { rInit: Number(match[1]) as 0 | 1, rTgt: Number(match[2]) as 0 | 1, rest };
}

const script = process.argv[1];
if (script !== undefined && import.meta.url === pathToFileURL(script).href) {
  try {
    const { rInit, rTgt, rest } = parseVariant(process.argv.slice(2));
    runFromCommandLine(ur5Experiment(rInit, rTgt), rest).catch((error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
