/**
 * The conditional U-Net 1-D of Chi et al., "Diffusion Policy" (RSS 2023), as laid out in
 * diffusion_policy's `conditional_unet1d.py` and configured by DESIGN section 5: it maps a
 * noisy chunk tau_k [B, T_h, action dim], the step k and a global condition (task parameters
 * and observation history) to the predicted clean chunk tau_0 [B, T_h, action dim].
 *
 * Layout, with down dims [24, 24, 32, 32], kernel 5, GroupNorm(8), Mish, d = 64, and the
 * feature shape [channels, length] for T_h = 32 on the right:
 *
 *   step encoder  k -> SinusoidalPosEmb(d) -> Linear(d, 4d) -> Mish -> Linear(4d, d)
 *   FiLM input    Mish(g), g = [step embedding, condition]                      (d + condDim)
 *
 *   input         tau_k, channels first                                          [a, 32]
 *   down 0        res(a -> 24), res(24 -> 24)            = skip 0 (never used)   [24, 32]
 *                 Conv1d(3, stride 2, padding 1)                                 [24, 16]
 *   down 1        res(24 -> 24), res(24 -> 24)           = skip 1                [24, 16]
 *                 Conv1d(3, stride 2, padding 1)                                 [24, 8]
 *   down 2        res(24 -> 32), res(32 -> 32)           = skip 2                [32, 8]
 *                 Conv1d(3, stride 2, padding 1)                                 [32, 4]
 *   down 3        res(32 -> 32), res(32 -> 32)           = skip 3 (no downsampling)  [32, 4]
 *   middle        res(32 -> 32), res(32 -> 32)                                   [32, 4]
 *   up 0          [x, skip 3] -> res(64 -> 32), res(32 -> 32), ConvTranspose1d   [32, 8]
 *   up 1          [x, skip 2] -> res(64 -> 24), res(24 -> 24), ConvTranspose1d   [24, 16]
 *   up 2          [x, skip 1] -> res(48 -> 24), res(24 -> 24), ConvTranspose1d   [24, 32]
 *   final         Conv1dBlock(24 -> 24), Conv1d_1x1(24 -> a)                     [a, 32]
 *
 *   res(i -> o)   h = Conv1dBlock(x); h = scale h + bias with [scale, bias] = Linear(Mish(g))
 *                 (FiLM, Perez et al. 2018); h = Conv1dBlock(h); out = h + Conv1d_1x1(x)
 *                 (the residual is x itself when i = o)
 *   Conv1dBlock   Conv1d(k, padding k/2) -> GroupNorm(8) -> Mish
 *   ConvTranspose1d(4, stride 2, padding 1) doubles the length
 *
 * As in Chi et al.'s code the up path pairs with reversed(levels[1:]) and pops the last three
 * skips, so the first level's skip is never used; every down level but the last halves the
 * length, so T_h must be divisible by 2^(levels - 1) (8 here; T_h = 32 works).
 *
 * The network is described once: each part (a Conv1dBlock, a residual block, a level...) is
 * built from its sizes into an `init` that makes its parameters and an `apply` that runs it,
 * side by side, and `unetParts` lists the parts in the order of the table above. `initUNet`
 * and `applyUNet` both walk that list, so the parameter tree and the forward pass cannot
 * disagree. Functional like the layers in src/nn: `apply` is a pure function of (params,
 * inputs), so `grad` with respect to the tree is the training gradient and `jvp`/`vjp` with
 * respect to the condition give the Sobolev term's Jacobian.
 */
import {
  type DType, type PyTree, type Rng, ShapeError, type Tensor, add, affine, cast, concat, mish, reshape, slice, tensor, transpose,
} from '../autodiff/index.js';
import {
  Conv1d, type ConvParams, ConvTranspose1d, GroupNorm, type GroupNormParams, Linear, type LinearParams,
  parameterCount, sinusoidalPosEmb,
} from '../nn/index.js';

export interface UNetConfig {
  /** Channels of the chunk (the action dimension). */
  readonly actionDim: number;
  /** Size of the global condition (task parameters and flattened observation history). */
  readonly condDim: number;
  /** d, the step embedding size. Default 64. */
  readonly stepEmbedDim?: number;
  /** Channels per level. Default [24, 24, 32, 32]. */
  readonly downDims?: readonly number[];
  /** Default 5. */
  readonly kernelSize?: number;
  /** GroupNorm groups. Default 8. */
  readonly groups?: number;
}

/** The configuration with every default filled in (it is what a checkpoint stores). */
export type FullUNetConfig = Required<UNetConfig>;

export function fullConfig(config: UNetConfig): FullUNetConfig {
  const full: FullUNetConfig = {
    actionDim: config.actionDim,
    condDim: config.condDim,
    stepEmbedDim: config.stepEmbedDim ?? 64,
    downDims: [...(config.downDims ?? [24, 24, 32, 32])],
    kernelSize: config.kernelSize ?? 5,
    groups: config.groups ?? 8,
  };
  const { actionDim, condDim, stepEmbedDim, downDims, kernelSize, groups } = full;
  const positive = (v: number) => Number.isInteger(v) && v >= 1;
  if (!positive(actionDim) || !(Number.isInteger(condDim) && condDim >= 0) || !positive(kernelSize) || kernelSize % 2 !== 1) {
    throw new RangeError(`UNet: need positive actionDim, condDim >= 0 and an odd kernel, got ${JSON.stringify(config)}`);
  }
  if (!(stepEmbedDim >= 4 && stepEmbedDim % 2 === 0) || downDims.length < 1 || !downDims.every((c) => positive(c) && c % groups === 0)) {
    throw new RangeError(`UNet: need an even step embedding >= 4 and channels divisible by ${groups} groups, got ${JSON.stringify(config)}`);
  }
  return full;
}

/** Conv1d -> GroupNorm -> Mish. */
export type Conv1dBlockParams = { readonly conv: ConvParams; readonly norm: GroupNormParams };

/** A residual block; `residual` (a 1x1 conv) exists only when the channel count changes. */
export type ResBlockParams = {
  readonly block1: Conv1dBlockParams;
  readonly block2: Conv1dBlockParams;
  readonly film: LinearParams;
  readonly residual?: ConvParams;
};

/** One level: two residual blocks and, except at the bottom, a down- or upsampling conv. */
export type LevelParams = { readonly res1: ResBlockParams; readonly res2: ResBlockParams; readonly resample?: ConvParams };

/** Every up level ends with an upsampling conv. */
export type UpLevelParams = LevelParams & { readonly resample: ConvParams };

export type StepEncoderParams = { readonly linear1: LinearParams; readonly linear2: LinearParams };

export type FinalParams = { readonly block: Conv1dBlockParams; readonly conv: ConvParams };

export type UNetParams = {
  readonly stepEncoder: StepEncoderParams;
  readonly down: readonly LevelParams[];
  readonly mid: readonly ResBlockParams[];
  readonly up: readonly UpLevelParams[];
  readonly final: FinalParams;
};

/**
 * A part of the network: the parameters it needs and what it computes, made from the same
 * sizes. `init` draws its weights from `rng` in a fixed order (so a seed fixes them all).
 */
interface Part<P, In extends unknown[], Out = Tensor> {
  init(rng: Rng, dtype: DType): P;
  apply(params: P, ...inputs: In): Out;
}

/** Conv1d(k, padding k/2) -> GroupNorm -> Mish. */
function conv1dBlock(cin: number, cout: number, c: FullUNetConfig): Part<Conv1dBlockParams, [x: Tensor]> {
  return {
    init: (rng, dtype) => ({ conv: Conv1d.init(rng, cin, cout, c.kernelSize, dtype), norm: GroupNorm.init(rng, cout, dtype) }),
    apply: (p, x) => mish(GroupNorm.apply(p.norm, Conv1d.apply(p.conv, x, { padding: (c.kernelSize - 1) / 2 }), { groups: c.groups })),
  };
}

/**
 * Chi et al.'s ConditionalResidualBlock1D with `cond_predict_scale = True`. `filmInput` is
 * Mish(g): every FiLM layer starts with it and g is shared, so it is computed once.
 */
function resBlock(cin: number, cout: number, c: FullUNetConfig): Part<ResBlockParams, [x: Tensor, filmInput: Tensor]> {
  const block1 = conv1dBlock(cin, cout, c);
  const block2 = conv1dBlock(cout, cout, c);
  const projectResidual = cin !== cout;
  return {
    init: (rng, dtype) => {
      const core = {
        block1: block1.init(rng, dtype),
        block2: block2.init(rng, dtype),
        film: Linear.init(rng, c.stepEmbedDim + c.condDim, 2 * cout, dtype), // [scale, bias] from Mish(g)
      };
      return projectResidual ? { ...core, residual: Conv1d.init(rng, cin, cout, 1, dtype) } : core;
    },
    apply: (p, x, filmInput) => {
      let h = block1.apply(p.block1, x);
      const [batch, channels] = h.shape;
      const embed = Linear.apply(p.film, filmInput, 'FiLM (Linear)');
      const scale = reshape(slice(embed, [{}, { stop: channels }]), [batch, channels, 1]);
      const bias = reshape(slice(embed, [{}, { start: channels }]), [batch, channels, 1]);
      h = affine(h, scale, bias); // scale * h + bias in one pass
      h = block2.apply(p.block2, h);
      return add(h, projectResidual ? Conv1d.apply(p.residual as ConvParams, x) : x);
    },
  };
}

/** A down level: two residual blocks, whose output is the level's skip, then (unless at the bottom) a stride-2 conv. */
function downLevel(
  cin: number,
  cout: number,
  halve: boolean,
  c: FullUNetConfig,
): Part<LevelParams, [x: Tensor, filmInput: Tensor], { skip: Tensor; out: Tensor }> {
  const res1 = resBlock(cin, cout, c);
  const res2 = resBlock(cout, cout, c);
  return {
    init: (rng, dtype) => {
      const blocks = { res1: res1.init(rng, dtype), res2: res2.init(rng, dtype) };
      return halve ? { ...blocks, resample: Conv1d.init(rng, cout, cout, 3, dtype) } : blocks;
    },
    apply: (p, x, filmInput) => {
      const skip = res2.apply(p.res2, res1.apply(p.res1, x, filmInput), filmInput);
      return { skip, out: halve ? Conv1d.apply(p.resample as ConvParams, skip, { stride: 2, padding: 1 }) : skip };
    },
  };
}

/** An up level: [x, skip] (`inner` channels each) -> two residual blocks to `outer` channels -> ConvTranspose1d (twice the length). */
function upLevel(inner: number, outer: number, c: FullUNetConfig): Part<UpLevelParams, [x: Tensor, skip: Tensor, filmInput: Tensor]> {
  const res1 = resBlock(2 * inner, outer, c);
  const res2 = resBlock(outer, outer, c);
  return {
    init: (rng, dtype) => ({
      res1: res1.init(rng, dtype),
      res2: res2.init(rng, dtype),
      resample: ConvTranspose1d.init(rng, outer, outer, 4, dtype),
    }),
    apply: (p, x, skip, filmInput) => {
      const h = res2.apply(p.res2, res1.apply(p.res1, concat([x, skip], 1), filmInput), filmInput);
      return ConvTranspose1d.apply(p.resample, h, { stride: 2, padding: 1 });
    },
  };
}

/** k -> SinusoidalPosEmb(d) -> Linear(d, 4d) -> Mish -> Linear(4d, d). */
function stepEncoder(d: number): Part<StepEncoderParams, [k: Tensor]> {
  return {
    init: (rng, dtype) => ({ linear1: Linear.init(rng, d, 4 * d, dtype), linear2: Linear.init(rng, 4 * d, d, dtype) }),
    apply: (p, k) => Linear.apply(p.linear2, mish(Linear.apply(p.linear1, sinusoidalPosEmb(k, d)))),
  };
}

/** Conv1dBlock(channels -> channels) -> Conv1d_1x1(channels -> action dim). */
function finalLayers(channels: number, c: FullUNetConfig): Part<FinalParams, [x: Tensor]> {
  const block = conv1dBlock(channels, channels, c);
  return {
    init: (rng, dtype) => ({ block: block.init(rng, dtype), conv: Conv1d.init(rng, channels, c.actionDim, 1, dtype) }),
    apply: (p, x) => Conv1d.apply(p.conv, block.apply(p.block, x)),
  };
}

/** The parts of the table in the file comment, in its order (which is also the order the weights are drawn in). */
function unetParts(c: FullUNetConfig) {
  const dims = c.downDims;
  const levels = dims.length;
  const bottom = dims[levels - 1];
  return {
    stepEncoder: stepEncoder(c.stepEmbedDim),
    down: dims.map((cout, i) => downLevel(i === 0 ? c.actionDim : dims[i - 1], cout, i + 1 < levels, c)),
    mid: [resBlock(bottom, bottom, c), resBlock(bottom, bottom, c)],
    // The mirror of down levels 1 .. levels - 1, bottom first: up j takes skip levels - 1 - j.
    up: dims.slice(1).map((inner, i) => upLevel(inner, dims[i], c)).reverse(),
    final: finalLayers(dims[0], c),
  };
}

/** Fresh parameters with PyTorch's default initialization, seeded by `rng`. */
export function initUNet(rng: Rng, config: UNetConfig, dtype: DType = 'float64'): UNetParams {
  const parts = unetParts(fullConfig(config));
  const stepEncoder = parts.stepEncoder.init(rng, dtype);
  const down = parts.down.map((level) => level.init(rng, dtype));
  const mid = parts.mid.map((block) => block.init(rng, dtype));
  const up = parts.up.map((level) => level.init(rng, dtype));
  const final = parts.final.init(rng, dtype);
  return { stepEncoder, down, mid, up, final };
}

/** The step index as a [B] tensor of the model dtype. */
function stepTensor(steps: Tensor | number | readonly number[], batch: number, dtype: DType): Tensor {
  if (typeof steps === 'number') return tensor(new Array<number>(batch).fill(steps), [batch], dtype);
  if (Array.isArray(steps)) return tensor(steps as number[], [steps.length], dtype);
  return cast(steps as Tensor, dtype);
}


/**
 * tau_0_hat = D_theta(tau_k, k, cond). sample [B, T_h, actionDim], steps one per sample (or
 * one for all), cond [B, condDim]. Inputs are cast to the parameters' dtype, so a float32
 * parameter tree runs the whole network in float32; the output has that dtype.
 */
export function applyUNet(
  params: UNetParams,
  config: UNetConfig,
  sample: Tensor,
  steps: Tensor | number | readonly number[],
  cond: Tensor,
): Tensor {
  const c = fullConfig(config);
  const dtype = params.final.conv.weight.dtype;
  const [batch, horizon, actionDim] = sample.shape;
  const factor = 2 ** (c.downDims.length - 1);
  if (sample.ndim !== 3 || actionDim !== c.actionDim || horizon % factor !== 0) {
    throw new ShapeError('UNet', [sample.shape], `expects a chunk [B, T_h, ${c.actionDim}] with T_h divisible by ${factor}`);
  }
  if (cond.ndim !== 2 || cond.shape[0] !== batch || cond.shape[1] !== c.condDim) {
    throw new ShapeError('UNet', [sample.shape, cond.shape], `expects a condition [${batch}, ${c.condDim}]`);
  }
  const k = stepTensor(steps, batch, dtype);
  if (k.shape.length !== 1 || k.shape[0] !== batch) throw new ShapeError('UNet', [sample.shape, k.shape], 'expects one step per sample');

  const parts = unetParts(c);
  const emb = parts.stepEncoder.apply(params.stepEncoder, k);
  const filmInput = mish(c.condDim > 0 ? concat([emb, cast(cond, dtype)], 1) : emb);

  let x = transpose(cast(sample, dtype), [0, 2, 1]); // [B, actionDim, T_h]: channels first
  const skips: Tensor[] = [];
  parts.down.forEach((level, i) => {
    const { skip, out } = level.apply(params.down[i], x, filmInput);
    skips.push(skip);
    x = out;
  });
  parts.mid.forEach((block, i) => {
    x = block.apply(params.mid[i], x, filmInput);
  });
  parts.up.forEach((level, i) => {
    x = level.apply(params.up[i], x, skips.pop() as Tensor, filmInput);
  });
  return transpose(parts.final.apply(params.final, x), [0, 2, 1]);
}

/** The number of parameters (PyTorch's sum of numel), and a one-line summary to print. */
export function describeUNet(params: UNetParams, config: UNetConfig): { parameters: number; summary: string } {
  const c = fullConfig(config);
  const parameters = parameterCount(params as PyTree);
  const summary =
    `ConditionalUnet1D: down dims [${c.downDims.join(', ')}], kernel ${c.kernelSize}, GroupNorm(${c.groups}), ` +
    `step embedding ${c.stepEmbedDim}, action dim ${c.actionDim}, condition dim ${c.condDim}: ${parameters} parameters`;
  return { parameters, summary };
}
