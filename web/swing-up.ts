/**
 * The live swing-up: the shipped Sob+Diff policy of the chosen task (pendulum or double
 * pendulum) rolls out from the start angle the user sets (on this thread: Alg. 2, one plan of
 * T_a torques per 5 denoising steps), the DDP solver refines the rollout in a Web Worker, and
 * a canvas animates both with their costs.
 */
import type { DiffusionPolicy } from '../src/diffusion/index.js';
import type { RefineReply } from './refine-worker.js';
import { SWING_UPS, type SwingRollout, type SwingUp, loadSwingPolicy, policyRollout, refineJob, skeletonOf } from './swing-up-model.js';

const DT = 0.01;

interface Note {
  heldOut?: { tasks: number; policyCost: { mean: number | null }; refinedCost: { mean: number | null }; warmIterations: number; toAloneCost: { mean: number | null }; coldIterations: number };
  nTraj: number;
  epochs: number;
  parameters: number;
  bytes: number;
  trainSeconds: number;
  made: string;
  command: string;
}

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function setStatus(state: string, text = state): void {
  const el = byId('swing-status');
  el.dataset.state = state;
  el.textContent = text;
}

function showCost(id: string, cost: number): void {
  const el = byId(id);
  el.dataset.value = String(cost);
  el.textContent = Number.isFinite(cost) ? cost.toFixed(4) : 'diverged';
}

interface Track {
  label: string;
  color: string;
  xs: Float64Array[];
  cost: number;
}

/** The robot of each track side by side (the task's skeleton in its plane, z up) at step t, with the tip's path and the costs. */
function drawFrame(canvas: HTMLCanvasElement, skeleton: (x: readonly number[]) => [number, number][], tracks: Track[], t: number): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const first = skeleton(Array.from(tracks[0].xs[0]));
  const reach = Math.max(...first.map(([y, z]) => Math.hypot(y - first[0][0], z - first[0][1])));
  const scale = (height * 0.36) / reach;
  tracks.forEach((track, i) => {
    const cx = (width / tracks.length) * (i + 0.5);
    const cy = height * 0.5;
    const step = Math.min(t, track.xs.length - 1);
    const toCanvas = ([y, z]: [number, number]): [number, number] => [cx + (y - first[0][0]) * scale, cy - (z - first[0][1]) * scale];
    const pointsAt = (s: number) => skeleton(Array.from(track.xs[s])).map(toCanvas);
    ctx.strokeStyle = track.color;
    ctx.globalAlpha = 0.25;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let s = 0; s <= step; s++) {
      const points = pointsAt(s);
      const [x, y] = points[points.length - 1];
      if (s === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
    const points = pointsAt(step);
    ctx.lineWidth = 4;
    ctx.beginPath();
    points.forEach(([x, y], k) => (k === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
    ctx.stroke();
    const [tx, ty] = points[points.length - 1];
    ctx.fillStyle = track.color;
    ctx.beginPath();
    ctx.arc(tx, ty, 8, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = '#333';
    for (const [x, y] of points.slice(0, -1)) {
      ctx.beginPath();
      ctx.arc(x, y, 3, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.font = '14px sans-serif';
    ctx.fillText(`${track.label}: cost ${Number.isFinite(track.cost) ? track.cost.toFixed(2) : 'diverged'}`, cx - 90, 20);
  });
  ctx.fillStyle = '#666';
  ctx.fillText(`t = ${(t * DT).toFixed(2)} s`, 10, height - 10);
}

let animation = 0;

function animate(canvas: HTMLCanvasElement, skeleton: (x: readonly number[]) => [number, number][], tracks: Track[]): void {
  cancelAnimationFrame(animation);
  const steps = Math.max(...tracks.map((tr) => tr.xs.length));
  const start = performance.now();
  const frame = () => {
    const t = Math.floor((performance.now() - start) / 1000 / DT);
    drawFrame(canvas, skeleton, tracks, Math.min(t, steps - 1));
    if (t < steps - 1) animation = requestAnimationFrame(frame);
  };
  animation = requestAnimationFrame(frame);
}

function refine(worker: Worker, swing: SwingUp, q0: number, rollout: SwingRollout): Promise<RefineReply> {
  return new Promise((resolve) => {
    worker.onmessage = (e: MessageEvent<RefineReply>) => resolve(e.data);
    worker.onerror = (e) => resolve({ error: e.message });
    worker.postMessage(refineJob(swing, q0, rollout));
  });
}

async function fetchPolicy(swing: SwingUp): Promise<{ policy: DiffusionPolicy; note: Note }> {
  const get = (url: string) => fetch(url).then((r) => (r.ok ? r : Promise.reject(new Error(`${url}: HTTP ${r.status}`))));
  const [bytes, note] = await Promise.all([
    get(`policy/${swing.file}.safetensors`).then((r) => r.arrayBuffer()),
    get(`policy/${swing.file}.json`).then((r) => r.json() as Promise<Note>),
  ]);
  return { policy: loadSwingPolicy(swing, new Uint8Array(bytes)), note };
}

/** A cost from the note (JSON writes an infinite mean, a diverged rollout's, as null). */
const costText = (v: number | null) => (v === null || !Number.isFinite(v) ? 'inf (a rollout diverged)' : v.toFixed(2));

function describe(swing: SwingUp, note: Note): string {
  const held = note.heldOut;
  return `${swing.title}: Sob+Diff policy (U-Net, ${note.parameters.toLocaleString('en')} parameters, float32), a ${(note.bytes / 1024).toFixed(0)} KiB ` +
    `safetensors file, trained on ${note.nTraj} solver trajectories for ${note.epochs} epochs in ${Math.round(note.trainSeconds)} s (${note.made}, ${note.command}); ` +
    `T_a = ${swing.actionsPerPlan}.` +
    (held === undefined ? '' : ` On the experiment's ${held.tasks} held-out tasks: cost ${costText(held.policyCost.mean)} alone, ` +
      `${costText(held.refinedCost.mean)} refined in ${held.warmIterations.toFixed(1)} iterations; the solver alone ${costText(held.toAloneCost.mean)} in ${held.coldIterations.toFixed(1)}.`);
}

export async function startSwingUp(): Promise<void> {
  const swings = Object.values(SWING_UPS);
  const loaded = new Map(await Promise.all(swings.map(async (swing) => [swing.task, await fetchPolicy(swing)] as const)));
  const worker = new Worker(new URL('./refine-worker.js', import.meta.url), { type: 'module' });
  const select = byId<HTMLSelectElement>('swing-task');
  const slider = byId<HTMLInputElement>('q0');
  const button = byId<HTMLButtonElement>('run');
  const canvas = byId<HTMLCanvasElement>('swing-canvas');
  const current = () => (SWING_UPS as Record<string, SwingUp>)[select.value];
  const showTask = () => (byId('policy-note').textContent = describe(current(), loaded.get(current().task)!.note));
  const showAngle = () => (byId('q0-value').textContent = Number(slider.value).toFixed(2));
  select.addEventListener('change', showTask);
  slider.addEventListener('input', showAngle);
  showTask();
  showAngle();
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const swing = current();
      const { policy } = loaded.get(swing.task)!;
      const skeleton = skeletonOf(swing);
      const q0 = Number(slider.value);
      setStatus('rolling', 'rolling out the policy ...');
      await new Promise((resolve) => setTimeout(resolve, 0)); // paint the status first
      const t0 = performance.now();
      const rollout = policyRollout(swing, policy, q0);
      byId('policy-time').textContent = `${((performance.now() - t0) / 1000).toFixed(2)} s`;
      showCost('policy-cost', rollout.cost);
      byId('refined-cost').textContent = '';
      byId('rollout-how').textContent = `Alg. 2: 5 denoising steps per plan, T_a = ${swing.actionsPerPlan}, on this page's thread`;
      const policyTrack: Track = { label: 'policy', color: '#1f77b4', xs: rollout.xs, cost: rollout.cost };
      animate(canvas, skeleton, [policyTrack]);
      setStatus('refining', 'refining with DDP in a Web Worker ...');
      const refined = await refine(worker, swing, q0, rollout);
      if (refined.error !== undefined) throw new Error(refined.error);
      showCost('refined-cost', refined.cost!);
      byId('refined-time').textContent = `${(refined.ms! / 1000).toFixed(2)} s`;
      const from = rollout.diverged ? 'from the cold guess (the rollout diverged)' : 'warm-started from the rollout';
      byId('refined-how').textContent = `${from}, in a Web Worker: ${refined.iterations} iterations${refined.converged ? '' : ' (not converged)'}`;
      animate(canvas, skeleton, [policyTrack, { label: 'DDP refined', color: '#d62728', xs: refined.xs!, cost: refined.cost! }]);
      setStatus('done', 'done');
    } catch (e) {
      setStatus('error', `error: ${(e as Error).message}`);
      console.error(e);
    } finally {
      button.disabled = false;
    }
  });
  button.disabled = false;
  setStatus('ready');
}
