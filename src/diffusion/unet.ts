/**
 * The conditional U-Net 1-D of Chi et al., "Diffusion Policy" (RSS 2023), as laid out in
 * diffusion_policy's `conditional_unet1d.py` and configured by DESIGN section 5: it maps a
 * noisy chunk tau_k [B, T_h, action dim], the step k and a global condition (task parameters
 * and observation history) to the predicted clean chunk tau_0 [B, T_h, action dim].
 *
 * Layout, with down dims [24, 24, 32, 32], kernel 5, GroupNorm(8), Mish, d = 64:
 *
 *   step encoder     k -> SinusoidalPosEmb(d) -> Linear(d, 4d) -> Mish -> Linear(4d, d)
 *   global feature   g = [step embedding, condition]                        (d + condDim)
 *   residual block   h = Conv1dBlock(x); h = scale * h + bias  with [scale, bias] =
 *                    Linear(Mish(g)) (FiLM, Perez et al. 2018); h = Conv1dBlock(h);
 *                    out = h + Conv1d_1x1(x) (identity when the channel counts agree)
 *   Conv1dBlock      Conv1d(k, padding k/2) -> GroupNorm(8) -> Mish
 *   down level i     res(dim_in -> dim_out), res(dim_out -> dim_out), skip saved,
 *                    then Conv1d(3, stride 2, padding 1) except at the last level
 *   middle           two res(32 -> 32)
 *   up level         concat(x, skip) -> res(2 dim_out -> dim_in), res(dim_in -> dim_in),
 *                    ConvTranspose1d(4, 2, 1) (doubles the length)
 *   final            Conv1dBlock(24 -> 24), Conv1d_1x1(24 -> action dim)
 *
 * As in Chi et al.'s code the up path pairs with reversed(levels[1:]) and pops the last three
 * skips, so the first level's skip is never used; every down level but the last halves the
 * length, so T_h must be divisible by 2^(levels - 1) (8 here; T_h = 32 works).
 *
 * Functional like the layers in src/nn: `init` builds a parameter pytree, `apply` is a
 * pure function of (params, inputs), so `grad` with respect to the tree is the training
 * gradient and `jvp`/`vjp` with respect to the condition give the Sobolev term's Jacobian.
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

type ResBlockCore = { readonly block1: Conv1dBlockParams; readonly block2: Conv1dBlockParams; readonly film: LinearParams };
/** A residual block; `residual` (a 1x1 conv) exists only when the channel count changes. */
export type ResBlockParams = ResBlockCore | (ResBlockCore & { readonly residual: ConvParams });

/** One level: two residual blocks and, except at the bottom, a down- or upsampling conv. */
export type LevelParams =
  | { readonly res1: ResBlockParams; readonly res2: ResBlockParams }
  | { readonly res1: ResBlockParams; readonly res2: ResBlockParams; readonly resample: ConvParams };

export type UNetParams = {
  readonly stepEncoder: { readonly linear1: LinearParams; readonly linear2: LinearParams };
  readonly down: readonly LevelParams[];
  readonly mid: readonly ResBlockParams[];
  readonly up: readonly LevelParams[];
  readonly final: { readonly block: Conv1dBlockParams; readonly conv: ConvParams };
};

function initBlock(rng: Rng, cin: number, cout: number, k: number, dtype: DType): Conv1dBlockParams {
  return { conv: Conv1d.init(rng, cin, cout, k, dtype), norm: GroupNorm.init(rng, cout, dtype) };
}

function initRes(rng: Rng, cin: number, cout: number, globalDim: number, c: FullUNetConfig, dtype: DType): ResBlockParams {
  const core = {
    block1: initBlock(rng, cin, cout, c.kernelSize, dtype),
    block2: initBlock(rng, cout, cout, c.kernelSize, dtype),
    film: Linear.init(rng, globalDim, 2 * cout, dtype),
  };
  return cin === cout ? core : { ...core, residual: Conv1d.init(rng, cin, cout, 1, dtype) };
}

/** Fresh parameters with PyTorch's default initialization, seeded by `rng`. */
export function initUNet(rng: Rng, config: UNetConfig, dtype: DType = 'float64'): UNetParams {
  const c = fullConfig(config);
  const d = c.stepEmbedDim;
  const globalDim = d + c.condDim;
  const dims = [c.actionDim, ...c.downDims];
  const levels = c.downDims.length;
  const stepEncoder = { linear1: Linear.init(rng, d, 4 * d, dtype), linear2: Linear.init(rng, 4 * d, d, dtype) };
  const down: LevelParams[] = [];
  for (let i = 0; i < levels; i++) {
    const [cin, cout] = [dims[i], dims[i + 1]];
    const res1 = initRes(rng, cin, cout, globalDim, c, dtype);
    const res2 = initRes(rng, cout, cout, globalDim, c, dtype);
    down.push(i + 1 < levels ? { res1, res2, resample: Conv1d.init(rng, cout, cout, 3, dtype) } : { res1, res2 });
  }
  const midDim = dims[levels];
  const mid = [initRes(rng, midDim, midDim, globalDim, c, dtype), initRes(rng, midDim, midDim, globalDim, c, dtype)];
  const up: LevelParams[] = [];
  for (let i = levels - 1; i >= 1; i--) {
    const [cin, cout] = [dims[i], dims[i + 1]];
    const res1 = initRes(rng, 2 * cout, cin, globalDim, c, dtype);
    const res2 = initRes(rng, cin, cin, globalDim, c, dtype);
    up.push({ res1, res2, resample: ConvTranspose1d.init(rng, cin, cin, 4, dtype) });
  }
  const start = c.downDims[0];
  const final = { block: initBlock(rng, start, start, c.kernelSize, dtype), conv: Conv1d.init(rng, start, c.actionDim, 1, dtype) };
  return { stepEncoder, down, mid, up, final };
}

function conv1dBlock(p: Conv1dBlockParams, x: Tensor, groups: number): Tensor {
  const k = p.conv.weight.shape[2];
  return mish(GroupNorm.apply(p.norm, Conv1d.apply(p.conv, x, { padding: (k - 1) / 2 }), { groups }));
}

/** Chi et al.'s ConditionalResidualBlock1D with `cond_predict_scale = True`; `film` is Mish(g). */
function resBlock(p: ResBlockParams, x: Tensor, filmInput: Tensor, groups: number): Tensor {
  let h = conv1dBlock(p.block1, x, groups);
  const [batch, channels] = h.shape;
  const embed = Linear.apply(p.film, filmInput, 'FiLM (Linear)');
  const scale = reshape(slice(embed, [{}, { stop: channels }]), [batch, channels, 1]);
  const bias = reshape(slice(embed, [{}, { start: channels }]), [batch, channels, 1]);
  h = affine(h, scale, bias); // scale * h + bias in one pass
  h = conv1dBlock(p.block2, h, groups);
  return add(h, 'residual' in p ? Conv1d.apply(p.residual, x) : x);
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

  const emb = Linear.apply(params.stepEncoder.linear2, mish(Linear.apply(params.stepEncoder.linear1, sinusoidalPosEmb(k, c.stepEmbedDim))));
  // Every FiLM layer starts with Mish(g); g is shared, so Mish(g) is computed once.
  const filmInput = mish(c.condDim > 0 ? concat([emb, cast(cond, dtype)], 1) : emb);

  let x = transpose(cast(sample, dtype), [0, 2, 1]); // [B, actionDim, T_h]: channels first
  const skips: Tensor[] = [];
  for (const level of params.down) {
    x = resBlock(level.res1, x, filmInput, c.groups);
    x = resBlock(level.res2, x, filmInput, c.groups);
    skips.push(x);
    if ('resample' in level) x = Conv1d.apply(level.resample, x, { stride: 2, padding: 1 });
  }
  for (const block of params.mid) x = resBlock(block, x, filmInput, c.groups);
  for (const level of params.up) {
    x = concat([x, skips.pop() as Tensor], 1);
    x = resBlock(level.res1, x, filmInput, c.groups);
    x = resBlock(level.res2, x, filmInput, c.groups);
    if ('resample' in level) x = ConvTranspose1d.apply(level.resample, x, { stride: 2, padding: 1 });
  }
  x = Conv1d.apply(params.final.conv, conv1dBlock(params.final.block, x, c.groups));
  return transpose(x, [0, 2, 1]);
}

/** A model: its configuration and the pure function of its parameters. */
export interface UNet {
  readonly config: FullUNetConfig;
  init(rng: Rng, dtype?: DType): UNetParams;
  apply(params: UNetParams, sample: Tensor, steps: Tensor | number | readonly number[], cond: Tensor): Tensor;
}

export function createUNet(config: UNetConfig): UNet {
  const c = fullConfig(config);
  return {
    config: c,
    init: (rng, dtype = 'float64') => initUNet(rng, c, dtype),
    apply: (params, sample, steps, cond) => applyUNet(params, c, sample, steps, cond),
  };
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
