/**
 * The five rows of workloads.ts on jax-js (its WebAssembly device), each step one `jit`-compiled
 * function. jax-js counts references: every argument passed is consumed, so values used again
 * are passed as `.ref`. The package is a dev dependency of bench/peers only; it is loaded by a
 * name computed at run time so that the project's type check does not need it installed.
 */
import { ADAM, CONV, type Engine, MATMUL_N, type RowRunner, filled, mlpBatch, mlpInit } from './workloads.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Jax = any;
type Arr = any;

function matmulRow(jax: Jax, f64: boolean): RowRunner {
  const { numpy: np, jit, blockUntilReady } = jax;
  const n = MATMUL_N;
  const dtype = f64 ? np.float64 : np.float32;
  const a = np.array(filled(n * n, 1, 1, f64), { dtype }).reshape([n, n]);
  const b = np.array(filled(n * n, 2, 1, f64), { dtype }).reshape([n, n]);
  const f = jit((x: Arr, y: Arr) => np.matmul(x, y));
  return {
    step: async () => {
      const c = await blockUntilReady(f(a.ref, b.ref));
      c.dispose();
    },
  };
}

type Layer = { w: Arr; b: Arr };

function mlpRow(jax: Jax, sobolev: boolean): RowRunner {
  const { numpy: np, jit, jvp, valueAndGrad, blockUntilReady, tree } = jax;
  const d = mlpBatch();
  const B = d.y.length;
  const x = np.array(d.x).reshape([B, 4]);
  const y = np.array(d.y).reshape([B, 1]);
  const v = np.array(d.v).reshape([B, 4]);
  const s = np.array(d.s).reshape([B, 1]);
  const net = (p: Layer[], h: Arr): Arr => {
    p.forEach((l, i) => {
      h = np.matmul(h, l.w.transpose()).add(l.b);
      if (i + 1 < p.length) h = np.maximum(h, 0);
    });
    return h;
  };
  const sq = (a: Arr, b: Arr) => np.mean(np.square(a.sub(b)));
  const loss = (p: Layer[], xx: Arr, yy: Arr, vv: Arr, ss: Arr): Arr => {
    if (!sobolev) {
      vv.dispose();
      ss.dispose();
      return sq(net(p, xx), yy);
    }
    const [pred, slope] = jvp((h: Arr) => net(p, h), [xx], [vv]);
    return sq(pred, yy).add(sq(slope, ss));
  };
  const { lr, b1, b2, eps } = ADAM;
  // One step: loss and gradient, then Adam with bias correction (lrT, epsT from the step count).
  const step = jit((p: Layer[], m: Layer[], vs: Layer[], xx: Arr, yy: Arr, vv: Arr, ss: Arr, lrT: Arr, epsT: Arr) => {
    const [value, g] = valueAndGrad(loss)(tree.ref(p), xx, yy, vv, ss);
    const gl = tree.leaves(g);
    const pl = tree.leaves(p);
    const ml = tree.leaves(m);
    const vl = tree.leaves(vs);
    const m2 = ml.map((mi: Arr, i: number) => mi.mul(b1).add(gl[i].ref.mul(1 - b1)));
    const v2 = vl.map((vi: Arr, i: number) => vi.mul(b2).add(np.square(gl[i]).mul(1 - b2)));
    const p2 = pl.map((pi: Arr, i: number) => pi.sub(m2[i].ref.mul(lrT.ref).div(np.sqrt(v2[i].ref).add(epsT.ref))));
    lrT.dispose();
    epsT.dispose();
    const def = tree.structure(p);
    return [tree.unflatten(def, p2), tree.unflatten(def, m2), tree.unflatten(def, v2), value];
  });
  const init = () => mlpInit().map((l) => ({ w: np.array(l.weight).reshape([l.out, l.in]), b: np.array(l.bias) }));
  const zerosLike = (p: Layer[]) => p.map((l) => ({ w: np.zeros(l.w.shape), b: np.zeros(l.b.shape) }));
  let state = { p: init(), m: [] as Layer[], v: [] as Layer[], t: 0 };
  const fresh = () => {
    const p = init();
    return { p, m: zerosLike(p), v: zerosLike(p), t: 0 };
  };
  state = fresh();
  const run = async (st: typeof state): Promise<[number, typeof state]> => {
    const t = st.t + 1;
    const lrT = np.array(lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t));
    const epsT = np.array(eps * Math.sqrt(1 - b2 ** t));
    const [p, m, vv, value] = step(st.p, st.m, st.v, x.ref, y.ref, v.ref, s.ref, lrT, epsT);
    await blockUntilReady([p, m, vv, value]);
    const loss = (await value.data())[0];
    return [loss, { p, m, v: vv, t }];
  };
  return {
    step: async () => {
      state = (await run(state))[1];
    },
    check: async () => {
      const [, s1] = await run(fresh());
      const [loss, s2] = await run(s1);
      tree.dispose([s2.p, s2.m, s2.v]);
      return loss;
    },
  };
}

function convRow(jax: Jax): RowRunner {
  const { numpy: np, jit, vjp, lax, blockUntilReady } = jax;
  const { batch, channels: c, length: L, kernel: K, padding } = CONV;
  const x = np.array(filled(batch * c * L, 5)).reshape([batch, c, L]);
  const w = np.array(filled(c * c * K, 6, 1 / Math.sqrt(c * K))).reshape([c, c, K]);
  const ct = np.array(filled(batch * c * L, 7)).reshape([batch, c, L]);
  const f = jit((xx: Arr, ww: Arr, cc: Arr) => {
    const [y, pullback] = vjp((a: Arr, b: Arr) => lax.convGeneralDilated(a, b, [1], [[padding, padding]]), [xx, ww]);
    const [dx, dw] = pullback(cc);
    pullback.dispose?.();
    return [y, dx, dw];
  });
  return {
    step: async () => {
      const out = await blockUntilReady(f(x.ref, w.ref, ct.ref));
      jax.tree.dispose(out);
    },
  };
}

export async function jaxEngine(): Promise<Engine> {
  // jax-js 0.1.25 tests `instanceof Float16Array`, which Node 20 lacks.
  const g = globalThis as { Float16Array?: unknown };
  if (g.Float16Array === undefined) g.Float16Array = class Float16ArrayMissing {};
  const specifier = '@jax-js/jax';
  const jax: Jax = await import(specifier);
  await jax.init('wasm');
  jax.defaultDevice('wasm');
  const rows: Engine['rows'] = {};
  const attempt = (name: keyof Engine['rows'], make: () => RowRunner) => {
    try {
      rows[name] = make();
    } catch (e) {
      rows[name] = `setup failed: ${(e as Error).message.split('\n')[0]}`;
    }
  };
  attempt('matmulF32', () => matmulRow(jax, false));
  attempt('matmulF64', () => matmulRow(jax, true));
  attempt('mlp', () => mlpRow(jax, false));
  attempt('sobolev', () => mlpRow(jax, true));
  attempt('conv', () => convRow(jax));
  return { name: 'jax-js', rows };
}
