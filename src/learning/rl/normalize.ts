/**
 * Observation and reward normalization as stable-baselines3's VecNormalize does it (its
 * documented defaults: norm_obs and norm_reward on, clip_obs = clip_reward = 10,
 * epsilon = 1e-8, gamma = the learner's discount; the running statistics start from a count
 * of 1e-4, mean 0 and variance 1):
 *
 *   obs      (o - mean_o) / sqrt(var_o + eps), clipped to +-clip_obs, with running statistics
 *            of every observation seen in training
 *   reward   r / sqrt(var_R + eps), clipped to +-clip_reward, where var_R is the running
 *            variance of the discounted return R <- gamma R + r (reset to 0 when an episode
 *            ends): rewards are scaled, never shifted
 *
 * The statistics are frozen for evaluation (`training = false`), and the final observation of
 * a truncated episode is normalized without updating them, as SB3 does.
 */

/** Running mean and variance of vectors, merged batch by batch (Chan et al.'s parallel update). */
export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count: number;

  constructor(readonly dim: number, initialCount = 1e-4) {
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
    this.count = initialCount;
  }

  /** Merge a batch of `rows` vectors, row-major [rows * dim]. */
  update(batch: ArrayLike<number>, rows: number): void {
    const { dim } = this;
    if (batch.length !== rows * dim || rows < 1) throw new RangeError(`RunningMeanStd.update: ${batch.length} values for ${rows} rows of ${dim}`);
    const total = this.count + rows;
    for (let j = 0; j < dim; j++) {
      let m = 0;
      for (let r = 0; r < rows; r++) m += batch[r * dim + j];
      m /= rows;
      let v = 0;
      for (let r = 0; r < rows; r++) v += (batch[r * dim + j] - m) ** 2;
      v /= rows;
      const delta = m - this.mean[j];
      const m2 = this.var[j] * this.count + v * rows + delta * delta * this.count * rows / total;
      this.mean[j] += delta * rows / total;
      this.var[j] = m2 / total;
    }
    this.count = total;
  }
}

export interface NormalizeOptions {
  normObs: boolean;
  normReward: boolean;
  clipObs: number;
  clipReward: number;
  /** The discount of the return whose variance scales the rewards. */
  gamma: number;
  epsilon: number;
}

/** SB3's VecNormalize defaults (gamma is the learner's). */
export const VEC_NORMALIZE_DEFAULTS: Omit<NormalizeOptions, 'gamma'> = { normObs: true, normReward: true, clipObs: 10, clipReward: 10, epsilon: 1e-8 };

export class VecNormalize {
  readonly obsRms: RunningMeanStd;
  readonly retRms = new RunningMeanStd(1);
  /** Update the statistics (training) or only apply them (evaluation). */
  training = true;
  private returns: Float64Array;

  constructor(readonly obsDim: number, readonly numEnvs: number, readonly options: NormalizeOptions) {
    this.obsRms = new RunningMeanStd(obsDim);
    this.returns = new Float64Array(numEnvs);
  }

  /** Normalize observations [rows * obsDim]; with `update` (and in training) their statistics are merged first. */
  obs(o: Float64Array, update = true): Float64Array {
    const { normObs, clipObs, epsilon } = this.options;
    if (!normObs) return o;
    const rows = o.length / this.obsDim;
    if (update && this.training) this.obsRms.update(o, rows);
    const out = new Float64Array(o.length);
    for (let i = 0; i < o.length; i++) {
      const j = i % this.obsDim;
      const z = (o[i] - this.obsRms.mean[j]) / Math.sqrt(this.obsRms.var[j] + epsilon);
      out[i] = Math.min(Math.max(z, -clipObs), clipObs);
    }
    return out;
  }

  /** Scale one step's rewards of every copy; `ended` marks the copies whose episode ended with this step. */
  reward(r: Float64Array, ended: readonly boolean[]): Float64Array {
    const { normReward, clipReward, epsilon, gamma } = this.options;
    if (!normReward) return r;
    for (let e = 0; e < this.numEnvs; e++) this.returns[e] = this.returns[e] * gamma + r[e];
    if (this.training) this.retRms.update(this.returns, this.numEnvs);
    const scale = Math.sqrt(this.retRms.var[0] + epsilon);
    const out = Float64Array.from(r, (v) => Math.min(Math.max(v / scale, -clipReward), clipReward));
    ended.forEach((done, e) => { if (done) this.returns[e] = 0; });
    return out;
  }
}
