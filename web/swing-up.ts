/**
 * The live swing-up: the shipped Sob+Diff policy rolls out from the start angle the user
 * sets (on this thread: Alg. 2, one plan of T_a = 9 torques per 5 denoising steps), the DDP
 * solver refines the rollout in a Web Worker, and a canvas animates both with their costs.
 */
import type { DiffusionPolicy } from '../src/diffusion/index.js';
import type { RefineReply } from './refine-worker.js';
import { type SwingRollout, loadSwingPolicy, policyRollout, refineJob } from './swing-up-model.js';

const POLICY_URL = 'policy/pendulum-sob-diff.safetensors';
const NOTE_URL = 'policy/pendulum-sob-diff.json';
const DT = 0.01;

interface Note {
  heldOut?: { tasks: number; policyCost: { mean: number }; refinedCost: { mean: number }; warmIterations: number; toAloneCost: { mean: number }; coldIterations: number };
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

/** Two pendulums side by side, the policy's and the refined, at step t, with their costs. */
function drawFrame(canvas: HTMLCanvasElement, tracks: { label: string; color: string; xs: Float64Array[]; cost: number }[], t: number): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const length = height * 0.36;
  tracks.forEach((track, i) => {
    const cx = (width / tracks.length) * (i + 0.5);
    const cy = height * 0.5;
    const step = Math.min(t, track.xs.length - 1);
    // q = 0 upright: the tip is at (sin q, cos q) from the pivot, y up.
    const tip = (q: number): [number, number] => [cx + length * Math.sin(q), cy - length * Math.cos(q)];
    ctx.strokeStyle = track.color;
    ctx.globalAlpha = 0.25;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let s = 0; s <= step; s++) {
      const [x, y] = tip(track.xs[s][0]);
      if (s === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
    const [x, y] = tip(track.xs[step][0]);
    ctx.lineWidth = 4;
    ctx.beginPath();
    ctx.moveTo(cx, cy);
    ctx.lineTo(x, y);
    ctx.stroke();
    ctx.fillStyle = track.color;
    ctx.beginPath();
    ctx.arc(x, y, 10, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = '#333';
    ctx.beginPath();
    ctx.arc(cx, cy, 3, 0, 2 * Math.PI);
    ctx.fill();
    ctx.font = '14px sans-serif';
    ctx.fillText(`${track.label}: cost ${Number.isFinite(track.cost) ? track.cost.toFixed(2) : 'diverged'}`, cx - 90, 20);
  });
  ctx.fillStyle = '#666';
  ctx.fillText(`t = ${(t * DT).toFixed(2)} s`, 10, height - 10);
}

let animation = 0;

function animate(canvas: HTMLCanvasElement, tracks: Parameters<typeof drawFrame>[1]): void {
  cancelAnimationFrame(animation);
  const steps = Math.max(...tracks.map((tr) => tr.xs.length));
  const start = performance.now();
  const frame = () => {
    const t = Math.floor((performance.now() - start) / 1000 / DT);
    drawFrame(canvas, tracks, Math.min(t, steps - 1));
    if (t < steps - 1) animation = requestAnimationFrame(frame);
  };
  animation = requestAnimationFrame(frame);
}

function refine(worker: Worker, q0: number, rollout: SwingRollout): Promise<RefineReply> {
  return new Promise((resolve) => {
    worker.onmessage = (e: MessageEvent<RefineReply>) => resolve(e.data);
    worker.onerror = (e) => resolve({ error: e.message });
    worker.postMessage(refineJob(q0, rollout));
  });
}

export async function startSwingUp(): Promise<void> {
  const [bytes, note] = await Promise.all([
    fetch(POLICY_URL).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`${POLICY_URL}: HTTP ${r.status}`)))),
    fetch(NOTE_URL).then((r) => (r.ok ? (r.json() as Promise<Note>) : Promise.reject(new Error(`${NOTE_URL}: HTTP ${r.status}`)))),
  ]);
  const policy: DiffusionPolicy = loadSwingPolicy(new Uint8Array(bytes));
  byId('policy-note').textContent =
    `Sob+Diff policy (U-Net, ${note.parameters.toLocaleString('en')} parameters, float32): ${(note.bytes / 1024).toFixed(0)} KiB ` +
    `safetensors file, trained on ${note.nTraj} solver trajectories for ${note.epochs} epochs in ${Math.round(note.trainSeconds)} s (${note.made}, ${note.command}).` +
    (note.heldOut === undefined ? '' : ` On the main job's ${note.heldOut.tasks} held-out tasks: cost ${note.heldOut.policyCost.mean.toFixed(2)} alone, ` +
      `${note.heldOut.refinedCost.mean.toFixed(2)} refined in ${note.heldOut.warmIterations.toFixed(1)} iterations; the solver alone ${note.heldOut.toAloneCost.mean.toFixed(2)} in ${note.heldOut.coldIterations.toFixed(1)}.`);
  const worker = new Worker(new URL('./refine-worker.js', import.meta.url), { type: 'module' });
  const slider = byId<HTMLInputElement>('q0');
  const button = byId<HTMLButtonElement>('run');
  const canvas = byId<HTMLCanvasElement>('swing-canvas');
  const showAngle = () => (byId('q0-value').textContent = Number(slider.value).toFixed(2));
  slider.addEventListener('input', showAngle);
  showAngle();
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const q0 = Number(slider.value);
      setStatus('rolling', 'rolling out the policy ...');
      await new Promise((resolve) => setTimeout(resolve, 0)); // paint the status first
      const t0 = performance.now();
      const rollout = policyRollout(policy, q0);
      byId('policy-time').textContent = `${((performance.now() - t0) / 1000).toFixed(2)} s`;
      showCost('policy-cost', rollout.cost);
      byId('refined-cost').textContent = '';
      animate(canvas, [{ label: 'policy', color: '#1f77b4', xs: rollout.xs, cost: rollout.cost }]);
      setStatus('refining', 'refining with DDP in a Web Worker ...');
      const refined = await refine(worker, q0, rollout);
      if (refined.error !== undefined) throw new Error(refined.error);
      showCost('refined-cost', refined.cost!);
      byId('refined-time').textContent = `${(refined.ms! / 1000).toFixed(2)} s`;
      byId('refined-how').textContent = `warm-started from the rollout, in a Web Worker: ${refined.iterations} iterations${refined.converged ? '' : ' (not converged)'}`;
      animate(canvas, [
        { label: 'policy', color: '#1f77b4', xs: rollout.xs, cost: rollout.cost },
        { label: 'DDP refined', color: '#d62728', xs: refined.xs!, cost: refined.cost! },
      ]);
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
