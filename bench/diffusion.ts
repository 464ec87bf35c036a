/**
 * Diffusion-policy benchmark (issue 6): the U-Net of DESIGN section 5 (d = 64, action dim 1,
 * condition dim 4, T_h = 32) at batch 64: forward, one L_Diff training step, one L_Sob+Diff
 * step (n_proj = 1, both estimator forms), each in float64 and float32; and a T = 200,
 * T_a = 9, K = 5 batch-1 rollout (23 plans x 5 = 115 forwards). A training step is the loss
 * and its gradient (in the step arena, as training takes them) and the AdamW update. Medians of several runs after warm-up; the machine is
 * shared, so figures are noisy. Prints a table with the issue's targets and PyTorch 1.13
 * CPU's figures beside (DESIGN section 5's, measured on another machine of this kind), and a
 * last line with one JSON object.
 *
 * With --pytorch it also starts bench/pytorch/unet_reference.py (the same U-Net and steps in
 * PyTorch, float32, 2 threads) and alternates with it: each round times our float32 case,
 * then PyTorch's, a few runs each, so that both see the same load from the machine's
 * neighbours, and the ratio is taken per round. The median ratio over the rounds is the
 * figure that depends neither on how fast this machine is nor on how busy it was. It needs a
 * Python with torch (Debian: apt-get install python3-torch libopenblas0-pthread): $PYTHON, or
 * the first of `python3` and /usr/bin/python3 that imports torch (bench/python.ts).
 *
 *   npx tsx bench/diffusion.ts [--pytorch]
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type DType, Rng, type Tensor, add, mul, valueAndGrad, withStepArena } from '../src/autodiff/index.js';
import { adamw } from '../src/nn/optim/index.js';
import {
  type DiffusionPolicy, type LossBatch, type UNetParams, applyUNet, describeUNet, diffusionLoss, fitRange, initUNet, randomUnitVectors,
  rollout, sobolevDiffusionLoss, squaredCosineSchedule,
} from '../src/diffusion/index.js';
import { pythonWithTorch } from './python.js';

const CONFIG = { actionDim: 1, condDim: 4 };
const B = 64;
const TH = 32;
const CASES = ['forward', 'diff step', 'sob step jvp', 'sob step vjp', 'rollout'] as const;
type CaseName = (typeof CASES)[number];

function median(fn: () => void, runs: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)];
}

const middle = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One run of each case in one dtype, on fixed data (each training step updates its own parameters). */
function benchCases(dtype: DType): Record<CaseName, () => void> {
  const schedule = squaredCosineSchedule(5);
  const rng = new Rng(1);
  const batch: LossBatch = {
    tau0: rng.uniform([B, TH, 1], -1, 1),
    cond: rng.uniform([B, 4], -1, 1),
    noise: rng.normal([B, TH, 1]),
    steps: Array.from({ length: B }, () => rng.int(5)),
  };
  const nIn = 2; // T_o = 1, nx = 2 (pendulum)
  const jacobian = rng.normal([B, TH, nIn]);
  const condJacobian = rng.normal([B, 4, nIn]);
  const model = (p: UNetParams, s: Tensor, k: readonly number[], c: Tensor) => applyUNet(p, CONFIG, s, k, c);
  const optimizer = adamw({ lr: 1e-4, weightDecay: 1e-6 });
  const params = initUNet(new Rng(0), CONFIG, dtype);
  const step = (loss: (q: UNetParams) => Tensor) => {
    let p = params;
    let state = optimizer.init(params);
    return () => {
      const [, g] = withStepArena(() => valueAndGrad(loss)(p)); // as train.ts does
      [p, state] = optimizer.step(p, g, state);
    };
  };
  const sobolev = (form: 'jvp' | 'vjp') => {
    const targets = { jacobian, condJacobian, projections: randomUnitVectors(rng, B, 1, form === 'jvp' ? nIn : TH) };
    return step((q) => sobolevDiffusionLoss(schedule, model, q, batch, targets, { alpha: 1, form }));
  };
  // Rollout: pendulum-like double integrator, torque actions, T = 200, T_a = 9, K = 5, batch 1.
  const policy: DiffusionPolicy = {
    unet: { ...CONFIG, stepEmbedDim: 64, downDims: [24, 24, 32, 32], kernelSize: 5, groups: 8 },
    params,
    normalizer: {
      action: fitRange(rng.uniform([10, 1], -25, 25)),
      cond: fitRange(rng.uniform([10, 4], -5, 5)),
      state: fitRange(rng.uniform([10, 2], -5, 5)),
    },
    schedule,
    geometry: { horizon: TH, historyLength: 1, taskDim: 2, stateDim: 2 },
  };
  const system = { step: (x: Tensor, u: Tensor) => add(x, mul(0.01, add(x, u))) };
  const x0 = rng.uniform([1, 2], -1, 1);
  const task = rng.uniform([1, 2], -1, 1);
  return {
    'forward': () => model(params, batch.tau0, batch.steps, batch.cond),
    'diff step': step((q) => diffusionLoss(schedule, model, q, batch)),
    'sob step jvp': sobolev('jvp'),
    'sob step vjp': sobolev('vjp'),
    'rollout': () => rollout(policy, system, x0, task, new Rng(5), { T: 200, actionsPerPlan: 9, actionKind: 'torque' }),
  };
}

/**
 * Runs and warm-up runs per measurement. The rollout (115 forwards) warms itself up; the
 * others get 5 warm-up runs, as V8 recompiles hot JavaScript and WebAssembly with its
 * optimizing tiers only after some calls (with 2, the first case measured in a process
 * came out up to 1.5x slow).
 */
const runsOf = (name: CaseName, runs: number): [number, number] => (name === 'rollout' ? [Math.max(3, runs - 2), 1] : [runs, 5]);

export interface PytorchComparison {
  torch: string;
  rounds: number;
  /** Medians over the rounds of each side's per-round median, and of the per-round ratio ours / PyTorch. */
  ours: Record<string, number>;
  pytorch: Record<string, number>;
  ratio: Record<string, number>;
  /** The smallest and largest per-round ratio. */
  ratioRange: Record<string, [number, number]>;
}

export interface DiffusionBenchResult {
  parameters: number;
  ms: Record<string, number>;
  targets: Record<string, number>;
  pytorch: Record<string, number>;
  /** PyTorch measured here, alternating with us (--pytorch). */
  pytorchHere?: PytorchComparison;
}

/** bench/pytorch/unet_reference.py --serve: answers "NAME RUNS" lines with medians. */
class PytorchReference {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(private readonly proc: ChildProcessWithoutNullStreams, private readonly command: string) {
    this.lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    proc.on('error', (e) => (this.stderr += e.message));
  }

  static async start(): Promise<{ reference: PytorchReference; torch: string; parameters: number }> {
    const python = pythonWithTorch();
    const script = fileURLToPath(new URL('./pytorch/unet_reference.py', import.meta.url));
    const proc = spawn(python, [script, '--serve']);
    const reference = new PytorchReference(proc, `${python} ${script} --serve`);
    const about = (await reference.next()) as { torch: string; parameters: number };
    return { reference, torch: about.torch, parameters: about.parameters };
  }

  async time(name: string, runs: number): Promise<number> {
    this.proc.stdin.write(`${name} ${runs}\n`);
    return ((await this.next()) as { ms: number }).ms;
  }

  close(): void {
    this.proc.stdin.end();
  }

  private async next(): Promise<unknown> {
    const { value, done } = await this.lines.next();
    if (done || !String(value).startsWith('{')) {
      const why = (this.stderr || String(value ?? '')).trim().split('\n').slice(-3).join('\n');
      throw new Error(`bench:diffusion --pytorch: '${this.command}' failed (a Python with torch is needed; set PYTHON):\n${why}`);
    }
    return JSON.parse(value);
  }
}

/** Alternates our float32 cases with PyTorch's, `rounds` times, `runs` runs each. */
async function compareWithPytorch(ours: Record<CaseName, () => void>, parameters: number, rounds: number, runs: number): Promise<PytorchComparison> {
  const { reference, torch, parameters: theirParameters } = await PytorchReference.start();
  try {
    if (theirParameters !== parameters) throw new Error(`bench:diffusion: the PyTorch U-Net has ${theirParameters} parameters, ours ${parameters}`);
    const samples: Record<string, { ours: number[]; pytorch: number[]; ratio: number[] }> = {};
    for (let round = 0; round < rounds; round++) {
      for (const name of CASES) {
        // PyTorch's Sobolev step is the VJP form (create_graph); our JVP form is compared with it too.
        const theirs = name === 'sob step jvp' ? 'sob step vjp' : name;
        const [n, warmup] = runsOf(name, runs);
        const a = median(ours[name], n, warmup);
        const b = await reference.time(theirs, n);
        const s = (samples[name] ??= { ours: [], pytorch: [], ratio: [] });
        s.ours.push(a);
        s.pytorch.push(b);
        s.ratio.push(a / b);
      }
    }
    const pick = (f: (s: (typeof samples)[string]) => number) => Object.fromEntries(CASES.map((name) => [name, f(samples[name])]));
    return {
      torch, rounds,
      ours: pick((s) => middle(s.ours)),
      pytorch: pick((s) => middle(s.pytorch)),
      ratio: pick((s) => middle(s.ratio)),
      ratioRange: Object.fromEntries(CASES.map((name) => [name, [Math.min(...samples[name].ratio), Math.max(...samples[name].ratio)]])),
    };
  } finally {
    reference.close();
  }
}

export async function benchDiffusion(runs = 7, withPytorch = false): Promise<DiffusionBenchResult> {
  const { parameters, summary } = describeUNet(initUNet(new Rng(0), CONFIG), CONFIG);
  console.log(summary);

  const ms: Record<string, number> = {};
  const float32 = benchCases('float32');
  for (const dtype of ['float32', 'float64'] as DType[]) {
    const cases = dtype === 'float32' ? float32 : benchCases(dtype);
    for (const name of CASES) ms[`${name} ${dtype}`] = median(cases[name], ...runsOf(name, runs));
  }

  const best = (prefix: string) => Math.min(ms[`${prefix} float64`], ms[`${prefix} float32`]);
  const targets = { 'forward': NaN, 'diff step': 72, 'sob step jvp': 186, 'sob step vjp': 186, 'rollout': 180 };
  const pytorch = { 'forward': 10.7, 'diff step': 35.9, 'sob step jvp': 93, 'sob step vjp': 93, 'rollout': 180 };
  console.log(`\nU-Net of DESIGN section 5 at batch ${B}, T_h = ${TH} (ms, median of ${runs}; shared machine, noisy)`);
  console.log('  what                    float64    float32     target   PyTorch 1.13 CPU');
  for (const name of CASES) {
    const t = targets[name];
    const ok = Number.isNaN(t) ? '' : best(name) <= t ? '  ok' : `  x${(best(name) / t).toFixed(1)} over`;
    console.log(
      `  ${name.padEnd(20)} ${ms[`${name} float64`].toFixed(1).padStart(10)} ${ms[`${name} float32`].toFixed(1).padStart(10)}` +
      ` ${Number.isNaN(t) ? '         -' : t.toFixed(0).padStart(10)} ${pytorch[name].toFixed(1).padStart(18)}${ok}`,
    );
  }
  console.log('  (rollout: T = 200, T_a = 9, K = 5, batch 1: 115 forwards; sob steps: n_proj = 1)');
  if (!withPytorch) return { parameters, ms, targets, pytorch };

  const rounds = 7;
  const c = await compareWithPytorch(float32, parameters, rounds, 5);
  console.log(`\nfloat32 against PyTorch ${c.torch} on this machine, alternating (2 threads; ${rounds} rounds of medians of 5, ms)`);
  console.log('  what                      ours    PyTorch    ours / PyTorch (range over rounds)');
  for (const name of CASES) {
    const [lo, hi] = c.ratioRange[name];
    const note = name === 'sob step jvp' ? '  against its VJP step' : '';
    console.log(
      `  ${name.padEnd(20)} ${c.ours[name].toFixed(1).padStart(9)} ${c.pytorch[name].toFixed(1).padStart(10)}` +
      ` ${c.ratio[name].toFixed(2).padStart(10)} (${lo.toFixed(2)}-${hi.toFixed(2)})${note}`,
    );
  }
  return { parameters, ms, targets, pytorch, pytorchHere: c };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchDiffusion(7, process.argv.includes('--pytorch'));
  console.log(JSON.stringify(result));
}
