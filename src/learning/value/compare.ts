/**
 * The value-learning paper's two ablations of the regression itself (sec. IV-C), on samples
 * of the value (x, V, V_x) from long-horizon solves, measured on a validation set:
 *
 *   - `sampleEfficiency` (Fig. 7): Sobolev against classical regression (alpha = 0) for
 *     growing numbers of samples, the first n of one pool, same epochs and seed;
 *   - `trainingCurves` (Fig. 8): the validation errors of V and V_x during Sobolev training
 *     of the Gauss-residual and the feed-forward network on the same samples.
 */
import { Rng } from '../../autodiff/index.js';
import { type ValueArchitecture, type ValueNetwork, initValueNetwork } from './network.js';
import { type ValueDataset, trainValueNetwork, valueErrors } from './sobolev.js';

export interface RegressionSetup {
  hidden: readonly number[];
  residual: number;
  anchor?: readonly number[];
  region: { lower: readonly number[]; upper: readonly number[] };
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

/** The first n samples of a dataset. */
export function firstSamples(data: ValueDataset, n: number): ValueDataset {
  if (!(Number.isInteger(n) && n >= 1 && n <= data.count)) throw new RangeError(`firstSamples: n = ${n} of ${data.count} samples`);
  const nx = data.nx;
  return { count: n, nx, x: data.x.slice(0, n * nx), v: data.v.slice(0, n), vx: data.vx.slice(0, n * nx) };
}

function scaleOf(data: ValueDataset): number {
  const s = data.v.reduce((a, b) => a + Math.abs(b), 0) / data.count;
  return s > 0 ? s : 1;
}

function fit(architecture: ValueArchitecture, alpha: number, train: ValueDataset, setup: RegressionSetup, onEpoch?: (epoch: number, net: ValueNetwork) => void) {
  const net = initValueNetwork(new Rng(setup.seed), { architecture, nx: train.nx, hidden: setup.hidden, residual: setup.residual, anchor: setup.anchor }, setup.region, scaleOf(train));
  return trainValueNetwork(net, train, {
    epochs: setup.epochs, batchSize: setup.batchSize, lr: setup.lr, alpha, rng: new Rng(setup.seed + 1),
    onEpoch: onEpoch && ((epoch, _loss, params) => onEpoch(epoch, { ...net, params })),
  });
}

export interface EfficiencyRow {
  samples: number;
  sobolev: { value: number; gradient: number };
  classical: { value: number; gradient: number };
}

/** Gauss-residual networks trained with and without the gradient term on the first n samples of `pool`, for each n. */
export function sampleEfficiency(pool: ValueDataset, validation: ValueDataset, counts: readonly number[], setup: RegressionSetup, onRow?: (row: EfficiencyRow) => void): EfficiencyRow[] {
  return counts.map((n) => {
    const train = firstSamples(pool, n);
    const row = {
      samples: n,
      sobolev: valueErrors(fit('gauss-residual', 1, train, setup), validation),
      classical: valueErrors(fit('gauss-residual', 0, train, setup), validation),
    };
    onRow?.(row);
    return row;
  });
}

export interface CurvePoint {
  epoch: number;
  value: number;
  gradient: number;
}

/**
 * Validation errors every `every` epochs (and after the last) of Sobolev training, per
 * architecture, and the trained networks.
 */
export function trainingCurves(
  train: ValueDataset, validation: ValueDataset, setup: RegressionSetup, every: number,
): { curves: Record<ValueArchitecture, CurvePoint[]>; nets: Record<ValueArchitecture, ValueNetwork> } {
  const curves = {} as Record<ValueArchitecture, CurvePoint[]>;
  const nets = {} as Record<ValueArchitecture, ValueNetwork>;
  for (const architecture of ['gauss-residual', 'feed-forward'] as const) {
    const points: CurvePoint[] = [];
    nets[architecture] = fit(architecture, 1, train, setup, (epoch, net) => {
      if ((epoch + 1) % every === 0 || epoch + 1 === setup.epochs) points.push({ epoch: epoch + 1, ...valueErrors(net, validation) });
    });
    curves[architecture] = points;
  }
  return { curves, nets };
}
