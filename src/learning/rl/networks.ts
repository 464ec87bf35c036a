/**
 * The small networks of the baselines and their initializations.
 *
 * SB3's PPO initializes its networks orthogonally (ortho_init = True; Saxe et al., "Exact
 * solutions to the nonlinear dynamics of learning in deep linear neural networks", ICLR 2014):
 * hidden layers with gain sqrt(2), the action mean's layer with 0.01 (the first policy is
 * nearly zero-mean everywhere) and the value layer with 1, biases zero. SAC keeps PyTorch's
 * default initialization (nn/linear.ts).
 */
import { ConcreteTensor, type Rng } from '../../autodiff/index.js';
import { Matrix, qr } from '../../linalg/index.js';
import type { LinearParams } from '../../nn/index.js';

/**
 * A [out, in] weight with orthonormal rows or columns times `gain` (PyTorch's orthogonal_: QR of
 * a Gaussian matrix, the sign of R's diagonal folded into Q so the draw is uniform), zero bias.
 */
export function orthogonalLinear(rng: Rng, inFeatures: number, outFeatures: number, gain: number): LinearParams {
  const tall = outFeatures >= inFeatures;
  const [m, n] = tall ? [outFeatures, inFeatures] : [inFeatures, outFeatures];
  const g = rng.normal([m, n]).data as Float64Array;
  const f = qr(new Matrix(m, n, Float64Array.from(g)));
  const Q = f.q();
  const R = f.R();
  const w = new Float64Array(outFeatures * inFeatures);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = gain * Q.data[i * n + j] * (R.data[j * n + j] < 0 ? -1 : 1);
      if (tall) w[i * inFeatures + j] = v;
      else w[j * inFeatures + i] = v;
    }
  }
  return { weight: new ConcreteTensor(w, [outFeatures, inFeatures]), bias: new ConcreteTensor(new Float64Array(outFeatures), [outFeatures]) };
}

/** sizes = [in, hidden..., out]: hidden layers with gain `hiddenGain`, the last with `outputGain`. */
export function orthogonalMlp(rng: Rng, sizes: readonly number[], hiddenGain: number, outputGain: number): LinearParams[] {
  return sizes.slice(1).map((out, i) => orthogonalLinear(rng, sizes[i], out, i + 2 === sizes.length ? outputGain : hiddenGain));
}
