/**
 * The quadrotor among columns, the main paper's constrained experiment (sec. 4.5, Fig. 4):
 * Sob+Diff and Diff against the augmented-Lagrangian solver alone, on the layouts with 0, 1, 3
 * or 9 columns (src/tasks/quadrotor.ts, one registered task per layout). Each layout is one
 * run of the shared runner in its own folder `columns-N/`; after them, `top_down.svg` is the
 * Fig. 4 grid (rows TO, Diff, Sob+Diff; a column per layout; five held-out instances each).
 *
 * Default: layouts 0 and 1, n_traj 50, n_algo 1, n_pl = 500 (the paper's 10^4 and 2 x 10^4
 * reduced 20 and 40 times: 830 training steps of batch 64, as many as the pendulum's default),
 * 20 held-out tasks, T_h = 32, T_a = 16, alpha_Sob = 1e-3 (the paper's choice for this task).
 *
 * --full, the paper's protocol: T_h = 32, T_a = 16, 50 held-out tasks; 0 columns n_algo = 1,
 * n_traj = 50, n_pl = 10^4; 1 or 3 columns n_pl = 2 x 10^4; 9 columns n_algo = 5, n_pl = 10^4
 * and n_traj growing from 30 to 100 over the iterations (evaluated after each).
 *
 *   npx tsx src/experiments/quadrotor.ts [--columns LIST] [--full | --quick] [--help] [flags]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { heldOutInstances } from '../learning/evaluate.js';
import { COLUMN_COUNTS, type ColumnCount, QUADROTOR_COLUMNS, QUADROTOR_TASK, quadrotorTaskName, taskByName } from '../tasks/index.js';
import type { ExperimentSpec, Protocol } from './runner/config.js';
import type { ExperimentResults } from './runner/report.js';
import { atomicWrite } from './runner/run-folder.js';
import { runFromCommandLine } from './runner/runner.js';
import { type TopDownPanel, topDownGrid } from './runner/svg.js';

/** The paper's protocol per layout (Fig. 4's caption). */
function fullProtocol(columns: ColumnCount): Partial<Protocol> {
  const common = { evalTasks: 50, horizon: 32, actionsPerPlan: 16 };
  if (columns === 9) return { ...common, nAlgo: 5, nTraj: [30], nTrajFinal: 100, epochs: [10_000], evalEveryIteration: true };
  return { ...common, nAlgo: 1, nTraj: [50], epochs: [columns === 0 ? 10_000 : 20_000] };
}

/** The experiment on one layout. */
export function quadrotorExperiment(columns: ColumnCount): ExperimentSpec {
  return {
    name: 'quadrotor',
    task: quadrotorTaskName(columns),
    about: `The main paper's constrained experiment (sec. 4.5, Fig. 4): a quadrotor from a random start to a
random goal at the same height, between floor and ceiling, with thrust limits, among fixed columns.
Sob+Diff and Diff (state actions (q (-) q_ref, v), decoded by inverse dynamics and the thrust
allocation) against the augmented-Lagrangian solver alone. This run: ${columns} column(s).
  --columns LIST  the layouts to run, any of ${COLUMN_COUNTS.join(',')} (default 0,1); each runs into DIR/columns-N,
                  and DIR/top_down.svg draws five held-out instances per method and layout`,
    defaults: {
      seeds: [0],
      nTraj: [50],
      epochs: [500],
      methods: ['sob-diff', 'diff'],
      nAlgo: 1,
      evalTasks: 20,
      horizon: 32,
      historyLength: 1,
      actionsPerPlan: 16,
      evalActionsPerPlan: [],
      evalEveryIteration: false,
      diffusionSteps: 5,
      alphaSob: 1e-3,
      diffusionBatch: 64,
      maxIterations: 1000,
    },
    full: fullProtocol(columns),
    quick: { nTraj: [3], epochs: [3], evalTasks: 3 },
  };
}

/** Split `--columns LIST` off a command line. */
export function parseColumns(argv: readonly string[]): { columns: ColumnCount[]; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--columns') value = argv[++i] ?? '';
    else if (arg.startsWith('--columns=')) value = arg.slice('--columns='.length);
    else rest.push(arg);
  }
  if (rest.includes('--task') || rest.some((a) => a.startsWith('--task='))) throw new RangeError('--columns sets the task: drop --task');
  if (value === undefined) return { columns: [0, 1], rest };
  const columns = value.split(',').map((v) => Number(v.trim()));
  for (const c of columns) if (!(COLUMN_COUNTS as readonly number[]).includes(c)) throw new RangeError(`--columns: expected any of ${COLUMN_COUNTS.join(', ')}, got "${value}"`);
  if (new Set(columns).size !== columns.length) throw new RangeError(`--columns: "${value}" names a layout twice`);
  return { columns: columns as ColumnCount[], rest };
}

/** Take `--out DIR` off a command line (the base folder of the layouts' runs). */
function takeOut(argv: readonly string[]): { out: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--out') out = argv[++i];
    else if (arg.startsWith('--out=')) out = arg.slice('--out='.length);
    else rest.push(arg);
  }
  return { out, rest };
}

const SHOWN = 5;
const PATH_COLORS = { toAlone: '#9467bd', diff: '#2ca02c', 'sob-diff': '#d62728' } as const;

/**
 * Fig. 4: rows TO alone, Diff, Sob+Diff; a column per layout; the first five held-out instances
 * of the first seed (regenerated from the run's seed by heldOutInstances), the
 * refined-free trajectories: the solver's own solution for TO, the policies' rollouts after the
 * last iteration of Alg. 1 at its T_a.
 */
export function topDownFigure(runs: readonly { columns: ColumnCount; results: ExperimentResults }[]): string {
  const rows = [
    { label: 'TO', key: 'toAlone' as const },
    { label: 'Diff', key: 'diff' as const },
    { label: 'Sob+Diff', key: 'sob-diff' as const },
  ];
  const panels: TopDownPanel[][] = rows.map(() => []);
  for (const { columns, results } of runs) {
    const seed = results.seeds[0];
    const task = taskByName(quadrotorTaskName(columns));
    const n = Math.min(SHOWN, results.config.evalTasks);
    const instances = heldOutInstances(task, seed?.seed ?? 0, n);
    const evaluation = seed?.runs.at(-1)?.evaluations.filter((e) => e.actionsPerPlan === results.config.actionsPerPlan).at(-1);
    const discs = QUADROTOR_COLUMNS[columns].map(([x, y, r]) => ({ x, y, r, margin: QUADROTOR_TASK.margin }));
    const starts = instances.map((inst) => [inst.x0[0]!, inst.x0[1]!] as [number, number]);
    const goals = instances.map((inst) => [inst.xi![0]!, inst.xi![1]!] as [number, number]);
    rows.forEach((row, i) => {
      const trajectories = row.key === 'toAlone'
        ? (seed?.toAlone.solutions ?? []).slice(0, n).map((s) => s.xs)
        : (evaluation?.methods[row.key]?.rollouts.xs ?? []).slice(0, n);
      const paths = trajectories.map((xs) => ({ points: xs.map((x) => [x[0]!, x[1]!] as [number, number]), color: PATH_COLORS[row.key] }));
      panels[i]!.push({ discs, paths, starts, goals });
    });
  }
  const w = QUADROTOR_TASK;
  return topDownGrid('Quadrotor among columns, seen from above\nblue: start, red: goal; dashed: column + margin', rows.map((r) => r.label),
    runs.map(({ columns }) => `${columns} column${columns === 1 ? '' : 's'}`), panels,
    { x: [Math.min(w.startX[0], w.goalX[0]) - 0.4, Math.max(w.startX[1], w.goalX[1]) + 0.4], y: [w.startY[0] - 0.2, w.goalY[1] + 0.2] });
}

/** The script's body: each layout's run, then the figure. Returns the runs (none for --help). */
export async function runQuadrotor(argv: readonly string[]): Promise<{ base: string; runs: { columns: ColumnCount; results: ExperimentResults }[] }> {
  const { columns, rest: flags } = parseColumns(argv);
  // --resume continues one layout's folder with its own configuration (it names its task);
  // the figure then shows that layout alone, in its own folder.
  if (flags.includes('--resume') || flags.some((a) => a.startsWith('--resume='))) {
    const results = await runFromCommandLine(quadrotorExperiment(columns[0]!), flags);
    if (results === null) return { base: '', runs: [] };
    const layout = COLUMN_COUNTS.find((c) => quadrotorTaskName(c) === results.config.task)!;
    atomicWrite(join(results.config.out, 'top_down.svg'), topDownFigure([{ columns: layout, results }]));
    console.log(`figure: ${join(results.config.out, 'top_down.svg')}`);
    return { base: results.config.out, runs: [{ columns: layout, results }] };
  }
  const { out, rest } = takeOut(flags);
  const base = out ?? join('runs', 'quadrotor', new Date().toISOString().replace(/[:.]/g, '-'));
  const runs: { columns: ColumnCount; results: ExperimentResults }[] = [];
  for (const c of columns) {
    const results = await runFromCommandLine(quadrotorExperiment(c), [...rest, '--out', join(base, `columns-${c}`)]);
    if (results === null) break; // --help
    runs.push({ columns: c, results });
    if (results.interrupted) break;
  }
  if (runs.length > 0) {
    mkdirSync(base, { recursive: true });
    atomicWrite(join(base, 'top_down.svg'), topDownFigure(runs));
    console.log(`figure: ${join(base, 'top_down.svg')}`);
  }
  return { base, runs };
}

const script = process.argv[1];
if (script !== undefined && import.meta.url === pathToFileURL(script).href) {
  runQuadrotor(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
