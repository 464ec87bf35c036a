/**
 * The page of web/ in a real browser: Debian's Chromium, headless, driven by puppeteer-core
 * (nothing is downloaded; `CHROMIUM` names another binary). The page is built into a
 * temporary folder and served by scripts/web.ts's server; then
 *
 *   - the playground's f, f', f'' (nested grad) and the Hessian of Rosenbrock's function
 *     equal the closed forms;
 *   - the swing-ups (pendulum, double pendulum) roll the shipped policy out from a start
 *     angle and refine it in the page's Web Worker: both costs must equal the same rollout and solve in Node within float
 *     tolerance. The U-Net runs in float32, and a browser's engine may fuse multiply-adds
 *     (relaxed SIMD) where Node's does not, so the plans may differ in their last bits
 *     (float32 eps 6e-8), which 200 steps of a stabilized swing-up amplify by at most some
 *     hundreds: 1e-5 relative on the policy's cost. The refinement stops near the same
 *     optimum from either rollout, and a cost is flat there: 1e-6.
 *     (Chromium 156 against Node 20, 2026-12-02, from q0 = 3.3: the pendulum's policy costs
 *     equal to the last bit and its refined costs 3e-16 apart; the double pendulum's policy
 *     costs 2.6e-9 apart, its refined costs 2e-16);
 *   - the gpu.js kernels (whatever backend gpu.js picks there) agree with the reference;
 *   - no console error, page error or failed request happens on the way;
 *
 * and a screenshot of the whole page is saved to tests/web/output/page.png.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build.js';
import { buildWeb, serveStatic } from '../../scripts/web.js';
import { solveInstance } from '../../src/learning/index.js';
import { SWING_UPS, loadSwingPolicy, policyRollout, refineJob } from '../../web/swing-up-model.js';

const CHROMIUM = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p !== undefined && existsSync(p));
const OUTPUT = join(ROOT, 'tests', 'web', 'output');
/** The start angle the test sets (rad; 0 upright): inside the training range pi +- 0.5. */
const Q0 = 3.3;

let dir = '';
let server: Server | null = null;
let browser: Browser | null = null;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  if (CHROMIUM === undefined) throw new Error('no Chromium found: apt-get install chromium (or set CHROMIUM to its binary)');
  dir = mkdtempSync(join(tmpdir(), 'sobolev-to-web-'));
  await buildWeb(dir);
  const served = await serveStatic(dir, 0);
  server = served.server;
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--enable-unsafe-swiftshader'] });
  page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(served.url);
  await page.waitForSelector('#kernel-status[data-state="done"]', { timeout: 40_000 });
  await page.waitForSelector('#swing-status[data-state="ready"]', { timeout: 10_000 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

async function setInput(id: string, value: string): Promise<void> {
  await page.evaluate((i, v) => {
    const el = document.getElementById(i) as HTMLInputElement;
    el.value = v;
    el.dispatchEvent(new Event('input'));
  }, id, value);
}

const valueOf = (id: string) => page.$eval(`#${id}`, (el) => Number((el as HTMLElement).dataset.value));

describe('the web page in Chromium', () => {
  it('playground: f, f\' and f\'\' by nested grad, and a Hessian', async () => {
    await setInput('f-expr', 'mul(x, mul(x, x))');
    await setInput('x-at', '2');
    expect([await valueOf('f-value'), await valueOf('df-value'), await valueOf('d2f-value')]).toEqual([8, 12, 12]);
    await setInput('f-expr', 'sin(x)');
    await setInput('x-at', '1');
    expect(await valueOf('f-value')).toBeCloseTo(Math.sin(1), 14);
    expect(await valueOf('df-value')).toBeCloseTo(Math.cos(1), 14);
    expect(await valueOf('d2f-value')).toBeCloseTo(-Math.sin(1), 14);
    // Rosenbrock (the page's default g) at (x, y) = (0.5, 2): gradient and Hessian in closed form.
    await setInput('gx', '0.5');
    await setInput('gy', '2');
    const [x, y] = [0.5, 2];
    const hessian = await page.$$eval('#hessian td', (cells) => cells.map((c) => Number((c as HTMLElement).dataset.value)));
    const expected = [2 - 400 * (y - x * x) + 800 * x * x, -400 * x, -400 * x, 200];
    hessian.forEach((h, i) => expect(h).toBeCloseTo(expected[i], 9));
    const gradient = await page.$eval('#g-grad', (el) => JSON.parse((el as HTMLElement).dataset.value!) as number[]);
    expect(gradient[0]).toBeCloseTo(-2 * (1 - x) - 400 * x * (y - x * x), 9);
    expect(gradient[1]).toBeCloseTo(200 * (y - x * x), 9);
  });

  for (const swing of Object.values(SWING_UPS)) {
    it(`swing-up of the ${swing.title}: the rollout and its DDP refinement cost what they cost in Node`, async () => {
      await page.select('#swing-task', swing.task);
      await setInput('q0', String(Q0));
      await page.click('#run'); // the handler marks the status 'rolling' before it first waits
      await page.waitForSelector('#swing-status[data-state="done"], #swing-status[data-state="error"]', { timeout: 45_000 });
      expect(await page.$eval('#swing-status', (el) => el.textContent)).toBe('done');
      const [policyCost, refinedCost] = [await valueOf('policy-cost'), await valueOf('refined-cost')];

      const policy = loadSwingPolicy(swing, readFileSync(join(ROOT, 'web', 'policy', `${swing.file}.safetensors`)));
      const rollout = policyRollout(swing, policy, Q0);
      const refined = solveInstance(refineJob(swing, Q0, rollout));
      console.log(`${swing.task}, q0 = ${Q0}: policy cost ${policyCost} in Chromium, ${rollout.cost} in Node; refined ${refinedCost} and ${refined.cost}`);
      expect(Number.isFinite(rollout.cost)).toBe(true);
      expect(Math.abs(policyCost - rollout.cost)).toBeLessThanOrEqual(1e-5 * rollout.cost);
      expect(Math.abs(refinedCost - refined.cost)).toBeLessThanOrEqual(1e-6 * refined.cost);
      expect(refinedCost).toBeLessThanOrEqual(policyCost);
    }, 60_000);
  }

  it('gpu.js kernels agree with the reference kernels', async () => {
    const mode = await page.$eval('#gpu-mode', (el) => (el as HTMLElement).dataset.mode);
    expect(mode).not.toBe('unavailable');
    const errors = await page.$$eval('#kernel-table tr[data-kernel]', (rows) => rows.map((r) => [(r as HTMLElement).dataset.kernel, Number((r as HTMLElement).dataset.relativeError)] as const));
    expect(errors.map(([k]) => k)).toEqual(['matmul', 'conv1d']);
    for (const [, e] of errors) expect(e).toBeLessThan(1e-5);
  });

  it('logs no error, and leaves a screenshot', async () => {
    mkdirSync(OUTPUT, { recursive: true });
    const path = join(OUTPUT, 'page.png');
    await page.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
    expect(problems).toEqual([]);
  });
});
