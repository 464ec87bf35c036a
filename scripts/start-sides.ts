/**
 * Where a swing-up policy fails, against where its training trajectories started: for a
 * finished run folder of `pendulum.ts` (or a merge of several seeds), every (n_traj, epochs)
 * run's training starts, counted by the side of the bottom they lie on (q_0 - pi > 0 or < 0:
 * the two mirror-image swing-ups), and every method's held-out failures, counted the same way.
 * A failure is a held-out task whose policy cost exceeds `--ratio` times the solver alone's
 * cost on that task.
 *
 * results.json keeps costs, not starts, so the starts are drawn again the way the runner drew
 * them (experiments/runner/runner.ts): training starts from one Rng(seed) that runs on across
 * the (n_traj, epochs) runs in their order (so the two epoch budgets of one n_traj train on
 * different starts), held-out ones from Rng(1_000_003 + seed). That replay is exact only
 * when Alg. 1 ran once and no start was rejected, which the script checks.
 *
 *   npx tsx scripts/start-sides.ts RUN_DIR [--ratio 1.3]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../src/autodiff/index.js';
import { heldOutInstances } from '../src/learning/evaluate.js';
import { taskByName } from '../src/tasks/index.js';

interface MethodEvaluation { perTask: { policyCost: number[] } }
interface Run {
  nTraj: number;
  epochs: number;
  evaluations: { methods: Record<string, MethodEvaluation> }[];
  collections: Record<string, { rejected: number }>;
}
interface SeedResults { seed: number; toAlone: { perTask: { cost: number[] } }; runs: Run[] }

const { values, positionals } = parseArgs({ allowPositionals: true, options: { ratio: { type: 'string', default: '1.3' } } });
const folder = positionals[0];
const ratio = Number(values.ratio);
if (folder === undefined || !(ratio > 1)) throw new Error('usage: npx tsx scripts/start-sides.ts RUN_DIR [--ratio R > 1]');
const results = JSON.parse(readFileSync(join(folder, 'results.json'), 'utf8')) as { config: { task: string; nAlgo: number; evalTasks: number }; seeds: SeedResults[] };
const { config } = results;
if (!config.task.startsWith('pendulum') && config.task !== 'double-pendulum') throw new Error(`${config.task} is not a swing-up from the bottom`);
if (config.nAlgo !== 1) throw new Error(`n_algo = ${config.nAlgo}: later iterations draw their starts after rollouts, which this replay does not follow`);
const task = taskByName(config.task);
/** The side of the bottom a start lies on. */
const side = (x0: number[]): '+' | '-' => (x0[0]! > Math.PI ? '+' : '-');
const count = (sides: string[], s: string): number => sides.filter((x) => x === s).length;

for (const seed of results.seeds) {
  const trainingRng = new Rng(seed.seed);
  const heldOut = heldOutInstances(task, seed.seed, config.evalTasks).map((i) => side(i.x0));
  console.log(`seed ${seed.seed}: held-out starts ${count(heldOut, '+')} on the + side, ${count(heldOut, '-')} on the - side`);
  for (const run of seed.runs) {
    if (Object.values(run.collections).some((c) => c.rejected > 0)) throw new Error(`seed ${seed.seed}, n_traj ${run.nTraj}: a start was rejected, so the replay would drift`);
    const training = Array.from({ length: run.nTraj }, () => side(task.sampleInstance(trainingRng).x0));
    const failures = Object.entries(run.evaluations.at(-1)!.methods).map(([method, evaluation]) => {
      const failed = heldOut.filter((_, i) => evaluation.perTask.policyCost[i]! > ratio * seed.toAlone.perTask.cost[i]!);
      return `${method} ${failed.length} (${count(failed, '+')} +)`;
    });
    console.log(`  n_traj ${run.nTraj}, ${run.epochs} epochs: trained on ${count(training, '+')} + / ${count(training, '-')} -; failures ${failures.join(', ')}`);
  }
}
