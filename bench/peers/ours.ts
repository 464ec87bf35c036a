/** The five rows of workloads.ts on this project's engine. */
import {
  ConcreteTensor, type Tensor, add, conv1d, jvp, matmul, mean, relu, square, sub, valueAndGrad, vjp, withStepArena,
} from '../../src/autodiff/index.js';
import { type MLPParams, MLP } from '../../src/nn/index.js';
import { type TrainState, type UpdateRule, adam, applyGradients, initTrainState } from '../../src/nn/optim/index.js';
import { ADAM, CONV, type Engine, MATMUL_N, type RowRunner, filled, mlpBatch, mlpInit } from './workloads.js';

const t = (data: Float32Array | Float64Array, shape: number[]) => new ConcreteTensor(data, shape);

function matmulRow(f64: boolean): RowRunner {
  const n = MATMUL_N;
  const a = t(filled(n * n, 1, 1, f64), [n, n]);
  const b = t(filled(n * n, 2, 1, f64), [n, n]);
  return { step: () => void matmul(a, b) };
}

function mlpRow(sobolev: boolean): RowRunner {
  const params: MLPParams = mlpInit().map((l) => ({ weight: t(l.weight, [l.out, l.in]), bias: t(l.bias, [l.out]) }));
  const d = mlpBatch();
  const B = d.y.length;
  const [x, y, v, s] = [t(d.x, [B, 4]), t(d.y, [B, 1]), t(d.v, [B, 4]), t(d.s, [B, 1])];
  const net = (p: MLPParams, xx: Tensor) => MLP.apply(p, xx, { activation: relu });
  const loss = (p: MLPParams): Tensor => {
    if (!sobolev) return mean(square(sub(net(p, x), y)));
    const [pred, slope] = jvp((xx: Tensor) => net(p, xx), [x], [v]);
    return add(mean(square(sub(pred, y))), mean(square(sub(slope, s))));
  };
  const rule: UpdateRule = { optimizer: adam({ lr: ADAM.lr, betas: [ADAM.b1, ADAM.b2], eps: ADAM.eps }) };
  const fresh = () => initTrainState(rule, params);
  let state: TrainState<MLPParams> = fresh();
  const trainStep = (st: TrainState<MLPParams>): [number, TrainState<MLPParams>] => {
    const [value, grads] = withStepArena(() => valueAndGrad(loss)(st.params));
    return [value.item(), applyGradients(rule, st, grads).state];
  };
  return {
    step: () => {
      state = trainStep(state)[1];
    },
    check: () => {
      const [, s1] = trainStep(fresh());
      return trainStep(s1)[0];
    },
  };
}

function convRow(): RowRunner {
  const { batch, channels: c, length: L, kernel: K, padding } = CONV;
  const x = t(filled(batch * c * L, 5), [batch, c, L]);
  const w = t(filled(c * c * K, 6, 1 / Math.sqrt(c * K)), [c, c, K]);
  const ct = t(filled(batch * c * L, 7), [batch, c, L]);
  return {
    step: () =>
      withStepArena(() => {
        const [, pullback] = vjp((xx: Tensor, ww: Tensor) => conv1d(xx, ww, { padding }), x, w);
        pullback(ct); // dx and dw, computed eagerly; like the peers' outputs, not read back
      }),
  };
}

export function oursEngine(): Engine {
  return {
    name: 'ours',
    rows: { matmulF32: matmulRow(false), matmulF64: matmulRow(true), mlp: mlpRow(false), sobolev: mlpRow(true), conv: convRow() },
  };
}
