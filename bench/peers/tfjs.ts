/**
 * The rows of workloads.ts on TensorFlow.js with its WebAssembly backend (float32 only). TF.js
 * has no forward mode, so the Sobolev row takes the input gradient of sum f with tf.grad inside
 * the loss (reverse over reverse; for a scalar output that is the JVP's row dotted with v).
 * Loaded by a name computed at run time, like jaxjs.ts.
 */
import { ADAM, CONV, type Engine, MATMUL_N, type RowRunner, filled, mlpBatch, mlpInit } from './workloads.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Tf = any;

function matmulRow(tf: Tf): RowRunner {
  const n = MATMUL_N;
  const a = tf.tensor2d(filled(n * n, 1), [n, n]);
  const b = tf.tensor2d(filled(n * n, 2), [n, n]);
  return {
    step: () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    },
  };
}

function mlpRow(tf: Tf, sobolev: boolean): RowRunner {
  const d = mlpBatch();
  const B = d.y.length;
  const x = tf.tensor2d(d.x, [B, 4]);
  const y = tf.tensor2d(d.y, [B, 1]);
  const v = tf.tensor2d(d.v, [B, 4]);
  const s = tf.tensor2d(d.s, [B, 1]);
  const make = () => mlpInit().map((l) => ({ w: tf.variable(tf.tensor2d(l.weight, [l.out, l.in])), b: tf.variable(tf.tensor1d(l.bias)) }));
  type Layers = ReturnType<typeof make>;
  const net = (p: Layers, h: any) => {
    p.forEach((l, i) => {
      h = tf.add(tf.matMul(h, l.w, false, true), l.b);
      if (i + 1 < p.length) h = tf.relu(h);
    });
    return h;
  };
  const sq = (a: any, b: any) => tf.mean(tf.square(tf.sub(a, b)));
  const loss = (p: Layers) => {
    if (!sobolev) return sq(net(p, x), y);
    const gx = tf.grad((xx: any) => tf.sum(net(p, xx)))(x);
    const slope = tf.sum(tf.mul(gx, v), 1, true);
    return tf.add(sq(net(p, x), y), sq(slope, s));
  };
  const build = () => {
    const p = make();
    const opt = tf.train.adam(ADAM.lr, ADAM.b1, ADAM.b2, ADAM.eps);
    const vars = p.flatMap((l) => [l.w, l.b]);
    return { p, opt, vars, dispose: () => { vars.forEach((q: any) => q.dispose()); opt.dispose(); } };
  };
  const state = build();
  const trainStep = (st: ReturnType<typeof build>): number => {
    const value = st.opt.minimize(() => loss(st.p), true, st.vars);
    const out = value.dataSync()[0];
    value.dispose();
    return out;
  };
  return {
    step: () => void trainStep(state),
    check: () => {
      const st = build();
      trainStep(st);
      const value = trainStep(st);
      st.dispose();
      return value;
    },
  };
}

function convRow(tf: Tf): RowRunner {
  // TF.js's conv1d takes NWC: x [batch, length, channels], filter [kernel, in, out].
  const { batch, channels: c, length: L, kernel: K } = CONV;
  const x = tf.transpose(tf.tensor3d(filled(batch * c * L, 5), [batch, c, L]), [0, 2, 1]);
  const w = tf.transpose(tf.tensor3d(filled(c * c * K, 6, 1 / Math.sqrt(c * K)), [c, c, K]), [2, 1, 0]);
  const ct = tf.transpose(tf.tensor3d(filled(batch * c * L, 7), [batch, c, L]), [0, 2, 1]);
  const f = (xx: any, ww: any) => tf.conv1d(xx, ww, 1, 'same');
  return {
    step: () => {
      const { value, grads } = tf.valueAndGrads(f)([x, w], ct);
      for (const g of [value, ...grads]) {
        g.dataSync();
        g.dispose();
      }
    },
  };
}

export async function tfEngine(): Promise<Engine> {
  const names = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'];
  const tf: Tf = await import(names[0]);
  await import(names[1]);
  await tf.setBackend('wasm');
  await tf.ready();
  const rows: Engine['rows'] = { matmulF64: 'no float64' };
  const attempt = async (name: keyof Engine['rows'], make: () => RowRunner) => {
    try {
      const row = make();
      await row.step(); // a missing kernel (an unsupported gradient) shows up on the first call
      rows[name] = row;
    } catch (e) {
      const kernel = /Kernel '(\w+)' not registered/.exec((e as Error).message)?.[1];
      rows[name] = kernel ? `unsupported (no ${kernel})` : `failed: ${(e as Error).message.split('\n')[0].slice(0, 60)}`;
    }
  };
  await attempt('matmulF32', () => matmulRow(tf));
  await attempt('mlp', () => mlpRow(tf, false));
  await attempt('sobolev', () => mlpRow(tf, true));
  await attempt('conv', () => convRow(tf));
  return { name: 'TF.js wasm', rows };
}
