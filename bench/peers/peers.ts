/**
 * `npm run bench:peers`: the rows of workloads.ts on this engine, jax-js (jit, WebAssembly),
 * TF.js (WebAssembly backend) and, when a Python with torch is found, PyTorch on one thread.
 *
 * Shared machines drift: another process may take a core for a minute. So the engines run in
 * alternating rounds (every row, every engine in a rotated order, a few timed steps each), each
 * round gives a ratio per row measured seconds apart, and the table reports the median over
 * rounds of each engine's per-round median and of the ratios. A ratio is ours' speed over the
 * peer's (GFLOP/s over GFLOP/s, or the peer's ms over ours): above 1, we are faster.
 * Before timing, the MLP rows' losses after two steps from the same start are compared with
 * ours (relative 1e-3): a peer that disagrees is marked "wrong result" and not timed.
 *
 *   npm run bench:peers [-- --rounds 7] [-- --only ours,jax-js] [-- --clock cpu]
 *
 * `--clock cpu` times each step by the CPU time its process spends (process.cpuUsage here,
 * time.process_time in Python) instead of the wall clock: on a machine whose cores other jobs
 * share, a step's wall time counts the time slices given to them (at a load of 20 on 2 cores,
 * 10 to 100 times the step itself, differently per engine and round), its CPU time does not.
 * Every engine here runs one thread, so on an idle machine the two clocks agree; contention
 * for caches and the core's SIMD units still inflates both.
 *
 * The last line is one JSON object with every figure.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { jaxEngine } from './jaxjs.js';
import { oursEngine } from './ours.js';
import { tfEngine } from './tfjs.js';
import { pythonCandidates } from '../python.js';
import { type Engine, MATMUL_FLOP, ROWS, type RowName, type RowRunner } from './workloads.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROUNDS = Number(option('rounds') ?? 7);
const ONLY = option('only')?.split(',');
const CLOCK = option('clock') ?? 'wall';
if (CLOCK !== 'wall' && CLOCK !== 'cpu') throw new RangeError(`--clock ${CLOCK}: expected wall or cpu`);
/** Milliseconds on the chosen clock (--clock): wall time, or this process's CPU time (user + system). */
const now = CLOCK === 'cpu' ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => performance.now();
/** Timed steps per engine per row per round: about this many ms of work, 3 to 40 steps. */
const ROUND_BUDGET_MS = 150;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** PyTorch behind a pipe to torch_peers.py, or null where no Python with torch starts. */
async function torchEngine(): Promise<Engine | null> {
  const script = fileURLToPath(new URL('./torch_peers.py', import.meta.url));
  for (const python of pythonCandidates()) {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'ignore'] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async (): Promise<Record<string, unknown> | null> => {
      const r = await lines.next();
      return r.done ? null : JSON.parse(r.value);
    };
    child.on('error', () => undefined);
    const ready = await Promise.race([next().catch(() => null), new Promise<null>((res) => setTimeout(() => res(null), 20_000))]);
    if (ready === null || !('ready' in ready)) {
      child.kill();
      continue;
    }
    const ask = async (request: object) => {
      child.stdin.write(JSON.stringify(request) + '\n');
      return (await next())!;
    };
    const rows: Engine['rows'] = {};
    for (const { name } of ROWS) {
      rows[name] = {
        // One request runs several steps in Python; `timed` below asks for them at once.
        step: async () => void (await ask({ row: name, reps: 1 })),
        check: async () => (await ask({ row: name, check: true })).loss as number,
        ...{ timedInPython: async (reps: number) => (await ask({ row: name, reps, clock: CLOCK })).ms as number[] },
      } as RowRunner;
    }
    process.on('exit', () => child.kill());
    return { name: `PyTorch ${String(ready.ready).split('a')[0]}`, rows };
  }
  return null;
}

/** ms of each of `reps` steps. */
async function timed(row: RowRunner, reps: number): Promise<number[]> {
  const python = (row as { timedInPython?: (reps: number) => Promise<number[]> }).timedInPython;
  if (python !== undefined) return python(reps);
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    await row.step();
    out.push(now() - t0);
  }
  return out;
}

async function main(): Promise<void> {
  const engines: Engine[] = [oursEngine()];
  const want = (name: string) => ONLY === undefined || ONLY.some((o) => name.toLowerCase().startsWith(o.toLowerCase()));
  const loaders: [string, () => Promise<Engine | null>][] = [['jax-js', jaxEngine], ['TF.js', tfEngine], ['PyTorch', torchEngine]];
  for (const [name, load] of loaders) {
    if (!want(name)) continue;
    try {
      const e = await load();
      if (e === null) console.log(`${name}: not found (skipped)`);
      else engines.push(e);
    } catch (err) {
      console.log(`${name}: could not load (${(err as Error).message.split('\n')[0]}); run npm install --prefix bench/peers`);
    }
  }
  const ours = engines[0];

  // Check the MLP rows' results against ours; warm every runner up and size its rounds.
  const checks: Record<string, Record<string, number | null>> = {};
  const reps = new Map<RowRunner, number>();
  for (const { name } of ROWS) {
    const mine = ours.rows[name] as RowRunner;
    const reference = mine.check ? await mine.check() : null;
    for (const e of engines) {
      const row = e.rows[name];
      if (row === undefined || typeof row === 'string') continue;
      if (row.check && reference !== null) {
        const value = await row.check();
        (checks[name] ??= {})[e.name] = value;
        if (!(Math.abs(value - reference) <= 1e-3 * Math.abs(reference))) {
          e.rows[name] = `wrong result (loss ${value.toPrecision(6)}, ours ${reference.toPrecision(6)})`;
          continue;
        }
      }
      const t0 = performance.now();
      let calls = 0;
      while (calls < 3 || performance.now() - t0 < 300) {
        await row.step();
        calls++;
      }
      const once = (performance.now() - t0) / calls;
      reps.set(row, Math.max(3, Math.min(40, Math.round(ROUND_BUDGET_MS / once))));
    }
  }

  // Alternating rounds: per round, every row on every engine, the engines' order rotated.
  const perRound: Record<RowName, Record<string, number[]>> = {} as never;
  for (let round = 0; round < ROUNDS; round++) {
    for (const { name } of ROWS) {
      const order = engines.map((_, i) => engines[(i + round) % engines.length]);
      for (const e of order) {
        const row = e.rows[name];
        if (row === undefined || typeof row === 'string') continue;
        ((perRound[name] ??= {})[e.name] ??= []).push(median(await timed(row, reps.get(row)!)));
      }
    }
    process.stdout.write(`round ${round + 1}/${ROUNDS}\r`);
  }

  // Report: per row, each engine's median (GFLOP/s or ms) and ours' speed ratio to it.
  const report: Record<string, unknown> = { date: new Date().toISOString().slice(0, 10), rounds: ROUNDS, clock: CLOCK, node: process.version, rows: {} };
  const header = ['row', ...engines.map((e) => e.name), ...engines.slice(1).map((e) => `ours / ${e.name}`)];
  const table: string[][] = [];
  for (const { name, label, unit } of ROWS) {
    const times = perRound[name] ?? {};
    const value = (ms: number) => (unit === 'GFLOP/s' ? MATMUL_FLOP / ms / 1e6 : ms);
    const cells = engines.map((e) => {
      const row = e.rows[name];
      if (typeof row === 'string' || row === undefined) return row ?? '-';
      return value(median(times[e.name])).toPrecision(3);
    });
    const json: Record<string, unknown> = {};
    const ratios = engines.slice(1).map((e) => {
      const mine = times[ours.name];
      const theirs = times[e.name];
      if (mine === undefined || theirs === undefined) return '-';
      const r = median(theirs.map((t, i) => t / mine[i])); // their ms over ours, round by round
      json[`ours/${e.name}`] = r;
      return `${r.toFixed(2)}x`;
    });
    for (const e of engines) {
      const row = e.rows[name];
      json[e.name] = typeof row === 'string' ? row : times[e.name] ? value(median(times[e.name])) : null;
    }
    json.unit = unit;
    if (checks[name]) json.lossAfterTwoSteps = checks[name];
    (report.rows as Record<string, unknown>)[name] = json;
    table.push([`${label}, ${unit}`, ...cells, ...ratios]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join(' | ');
  console.log(`\nmedians of ${ROUNDS} alternating rounds, ${CLOCK === 'cpu' ? 'CPU time per step' : 'wall time'} (PyTorch on one thread); ratio = ours' speed over the peer's (>1: we are faster), median of per-round ratios`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of table) console.log(line(r));
  console.log(JSON.stringify(report));
  process.exit(0);
}

await main();
