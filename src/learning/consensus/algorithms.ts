/**
 * The consensus paper's algorithms and baselines as settings of one loop (consensus.ts), named
 * as in its figures: a base name and modifiers.
 *
 *   PDDP   Alg. 1: OC from the policy's rollout, solved to convergence with the box on u,
 *          then the least-squares projection of eq. (7).
 *   PLAL   Alg. 2: ADMM on the augmented Lagrangian (eq. 12-13): the OC phase minimizes
 *          R + mu/2 ||u + lambda/mu - pi(x)||^2 (warm-started from the previous iterate), the
 *          learning phase regresses pi(x) on u + lambda/mu, then the dual update (line 4).
 *   PODS   Mora et al. 2021, as we implement it from their description: one unconstrained
 *          second-order improvement of the policy's own rollout (one iteration of iLQR from it,
 *          with its line search, without the box on u: PODS lifts the bounds to the tanh),
 *          then the projection of eq. (7).
 *   DPL    Mordatch and Todorov 2014, as we implement it: alternating OC with a quadratic
 *          penalty mu/2 ||u - pi(x)||^2 (no multipliers: the consensus is only approximate),
 *          without the box on u, and Sobolev regression of the policy (their Table I row).
 *
 *   +S     the stochastic Sobolev term on the gains in the learning phase (eq. 8 and after).
 *   +M     multiple shooting (eq. 14-16): a second copy of the states for the learning phase,
 *          with its own multipliers gamma; the OC phase no longer needs d pi/dx (ADMM only).
 *   -C     no box on u in the OC phase (the bounds are only the policy's tanh).
 *
 * So `PLAL+M+S`, `PLAL+S-C`, `PDDP+S` ... ; `parseAlgorithm` reads such a name.
 */

export type ConsensusKind = 'projection' | 'augmentedLagrangian' | 'penalty';

export interface ConsensusAlgorithm {
  /** The name as written in the paper's figures (PLAL+M+S, ...). */
  name: string;
  /** How the OC phase and the policy agree: projection (PDDP, PODS), multipliers (PLAL) or a penalty (DPL). */
  consensus: ConsensusKind;
  /** +M: the learning phase's own copy of the states (ADMM kinds only). */
  multipleShooting: boolean;
  /** false for -C (and for PODS and DPL, which ignore the bounds in TO). */
  constrained: boolean;
  /** +S */
  sobolev: boolean;
  /** Solver iterations per OC phase: null to convergence (n_max), 1 for PODS. */
  ocIterations: number | null;
  /** Where each OC phase starts: the policy's rollout (Alg. 1, line 2) or the previous OC iterate (ADMM). */
  guess: 'policy' | 'previous';
}

const BASES: Record<string, Omit<ConsensusAlgorithm, 'name'>> = {
  PDDP: { consensus: 'projection', multipleShooting: false, constrained: true, sobolev: false, ocIterations: null, guess: 'policy' },
  PLAL: { consensus: 'augmentedLagrangian', multipleShooting: false, constrained: true, sobolev: false, ocIterations: null, guess: 'previous' },
  PODS: { consensus: 'projection', multipleShooting: false, constrained: false, sobolev: false, ocIterations: 1, guess: 'policy' },
  DPL: { consensus: 'penalty', multipleShooting: false, constrained: false, sobolev: true, ocIterations: null, guess: 'previous' },
};

/** The algorithms of the paper's figures (Fig. 3-5), in their legend's spirit. */
export const CONSENSUS_ALGORITHMS = ['PDDP', 'PDDP+S', 'PLAL', 'PLAL+S', 'PLAL+S-C', 'PLAL+M', 'PLAL+M+S', 'PODS', 'DPL'] as const;

/** A name such as PLAL+M+S-C: a base (PDDP, PLAL, PODS, DPL) and modifiers +S, +M, -C in any order. */
export function parseAlgorithm(name: string): ConsensusAlgorithm {
  const match = /^([A-Z]+)((?:[+-][A-Z])*)$/.exec(name.trim());
  const base = match ? BASES[match[1]!] : undefined;
  if (!match || base === undefined) {
    throw new RangeError(`unknown consensus algorithm "${name}": a base (${Object.keys(BASES).join(', ')}) followed by +S, +M, -C`);
  }
  const algorithm: ConsensusAlgorithm = { name: name.trim(), ...base };
  const seen = new Set<string>();
  for (const modifier of match[2]!.match(/[+-][A-Z]/g) ?? []) {
    if (seen.has(modifier)) throw new RangeError(`consensus algorithm "${name}": ${modifier} given twice`);
    seen.add(modifier);
    if (modifier === '+S') algorithm.sobolev = true;
    else if (modifier === '-C') algorithm.constrained = false;
    else if (modifier === '+M') {
      if (algorithm.consensus === 'projection') throw new RangeError(`consensus algorithm "${name}": +M needs an ADMM consensus (PLAL or DPL)`);
      algorithm.multipleShooting = true;
    } else throw new RangeError(`consensus algorithm "${name}": unknown modifier ${modifier} (+S, +M, -C)`);
  }
  return algorithm;
}
