/**
 * Generalized advantage estimation (Schulman et al., "High-dimensional continuous control using
 * generalized advantage estimation", ICLR 2016, eq. 16), over a rollout of T steps of N copies
 * stored row-major [t * N + e], with SB3's bookkeeping of episode boundaries:
 *
 *   delta_t = r_t + gamma V(s_{t+1}) nonterminal_{t+1} - V(s_t)
 *   A_t     = delta_t + gamma lambda nonterminal_{t+1} A_{t+1}
 *   R_t     = A_t + V(s_t)                       (the value targets)
 *
 * where nonterminal_{t+1} = 0 when s_{t+1} starts a new episode (its value must not leak
 * into the finished one). A time-limit truncation is not a terminal state: the caller has
 * already added gamma V(x_T) to the last reward of the truncated episode (SB3's bootstrap).
 */
export interface GaeInput {
  steps: number;
  numEnvs: number;
  rewards: Float64Array;
  values: Float64Array;
  /** 1 where the observation of step t started an episode. */
  episodeStarts: Float64Array;
  /** V of the observation after the last step, per copy. */
  lastValues: Float64Array;
  /** 1 where the observation after the last step starts a new episode. */
  lastEpisodeStarts: Float64Array;
  gamma: number;
  lambda: number;
}

export function computeGae(input: GaeInput): { advantages: Float64Array; returns: Float64Array } {
  const { steps: T, numEnvs: N, rewards, values, episodeStarts, lastValues, lastEpisodeStarts, gamma, lambda } = input;
  for (const [name, a] of [['rewards', rewards], ['values', values], ['episodeStarts', episodeStarts]] as const) {
    if (a.length !== T * N) throw new RangeError(`computeGae: ${name} has ${a.length} entries for ${T} steps of ${N} copies`);
  }
  if (lastValues.length !== N || lastEpisodeStarts.length !== N) throw new RangeError(`computeGae: lastValues and lastEpisodeStarts need ${N} entries`);
  const advantages = new Float64Array(T * N);
  const returns = new Float64Array(T * N);
  for (let e = 0; e < N; e++) {
    let gae = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + e;
      const last = t === T - 1;
      const nonterminal = 1 - (last ? lastEpisodeStarts[e] : episodeStarts[i + N]);
      const nextValue = last ? lastValues[e] : values[i + N];
      const delta = rewards[i] + gamma * nextValue * nonterminal - values[i];
      gae = delta + gamma * lambda * nonterminal * gae;
      advantages[i] = gae;
      returns[i] = gae + values[i];
    }
  }
  return { advantages, returns };
}
