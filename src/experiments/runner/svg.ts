/**
 * Minimal SVG plots (line charts and histograms), written by hand so the experiments need
 * no plotting dependency. Each function returns a complete SVG document.
 */

export interface Series {
  name: string;
  x: number[];
  y: number[];
  /** A colour of its own (a method keeps its colour from figure to figure); default: by position. */
  color?: string;
  dashed?: boolean;
  /** Mark each point (for a few points; a long time series reads better as a plain line). */
  dots?: boolean;
  /** Draw as a horizontal reference line across the plot at y[0] (its x does not widen the axis). */
  reference?: boolean;
  /** A shaded band around a reference line: [low, high]. */
  band?: [number, number];
  /** A shaded band around the line, [low, high] at each point (e.g. the lowest and highest seed). */
  spread?: [number, number][];
}

// Twelve distinguishable colours before they repeat (a comparison of eleven learners and a reference line needs them all).
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#7f7f7f', '#e377c2', '#17becf', '#bcbd22', '#800000', '#556b2f'];
const colorOf = (s: { color?: string }, i: number) => s.color ?? COLORS[i % COLORS.length];
const W = 600;
const H = 360;
const M = { left: 64, right: 190, top: 36, bottom: 48 };

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step = 10 ** Math.floor(Math.log10((hi - lo) / count));
  const unit = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= count) ?? 10 * step;
  const ticks: number[] = [];
  // Snap to the unit's grid (and 0 to 0: -0.3 + 3 x 0.1 is 5.6e-17 in floating point).
  for (let k = Math.ceil(lo / unit); k * unit <= hi + 1e-12; k++) ticks.push(k === 0 ? 0 : Number((k * unit).toPrecision(12)));
  return ticks;
}

/** Ticks of a log axis: 1, 2, 5 times the powers of ten in [lo, hi] (lo > 0), only the powers where those are too many. */
function logTicks(lo: number, hi: number, count = 8): number[] {
  const ticks = (multiples: number[]) => {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); 10 ** e <= hi; e++) {
      for (const m of multiples) {
        const v = Number((m * 10 ** e).toPrecision(12));
        if (v >= lo && v <= hi) out.push(v);
      }
    }
    return out;
  };
  const dense = ticks([1, 2, 5]);
  const sparse = ticks([1]);
  return dense.length <= count || sparse.length < 2 ? dense : sparse;
}

/** A log axis's tick label: plain below 10^4, else in exponent form (2e5). */
const logTickLabel = (v: number) => (Math.abs(v) >= 1e4 ? v.toExponential().replace(/\.?0*e\+?/, 'e') : String(v));

/** Options of a line chart: logarithmic axes (a value <= 0 cannot be drawn on one: it breaks the line, as a non-finite value does). */
export interface ChartScales {
  logX?: boolean;
  logY?: boolean;
}

interface LegendEntry {
  name: string;
  color: string;
  /** Shown as a dashed line sample rather than a filled square. */
  dashed?: boolean;
}

function frame(title: string, xLabel: string, yLabel: string, xr: [number, number], yr: [number, number], body: string, legend: LegendEntry[], scales: ChartScales = {}): string {
  // Where a value falls between an axis's ends, 0 to 1 (in log10 on a log axis).
  const fraction = (v: number, r: [number, number], log: boolean | undefined) =>
    log ? Math.log10(v / r[0]) / (Math.log10(r[1] / r[0]) || 1) : (v - r[0]) / (r[1] - r[0] || 1);
  const px = (x: number) => M.left + fraction(x, xr, scales.logX) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - fraction(y, yr, scales.logY) * (H - M.top - M.bottom);
  const xTicks = (scales.logX ? logTicks(xr[0], xr[1]) : niceTicks(xr[0], xr[1])).map((v) =>
    `<line x1="${px(v)}" y1="${H - M.bottom}" x2="${px(v)}" y2="${H - M.bottom + 4}" stroke="#333"/><text x="${px(v)}" y="${H - M.bottom + 17}" text-anchor="middle">${scales.logX ? logTickLabel(v) : v}</text>`);
  const yTicks = (scales.logY ? logTicks(yr[0], yr[1]) : niceTicks(yr[0], yr[1])).map((v) =>
    `<line x1="${M.left - 4}" y1="${py(v)}" x2="${W - M.right}" y2="${py(v)}" stroke="#ddd"/><text x="${M.left - 7}" y="${py(v) + 4}" text-anchor="end">${scales.logY ? logTickLabel(v) : v}</text>`);
  const legendItems = legend.map(({ name, color, dashed }, i) => {
    const y = M.top + 18 * i;
    const sample = dashed
      ? `<line x1="${W - M.right + 10}" y1="${y + 6}" x2="${W - M.right + 26}" y2="${y + 6}" stroke="${color}" stroke-width="2" stroke-dasharray="4 2"/>`
      : `<rect x="${W - M.right + 12}" y="${y}" width="12" height="12" fill="${color}"/>`;
    return `${sample}<text x="${W - M.right + 30}" y="${y + 10}">${escape(name)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="20" text-anchor="middle" font-size="14">${escape(title)}</text>`,
    ...yTicks,
    ...xTicks,
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle">${escape(xLabel)}</text>`,
    `<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>`,
    body.replace(/__X\(([^)]*)\)/g, (_, v) => String(px(Number(v)))).replace(/__Y\(([^)]*)\)/g, (_, v) => String(py(Number(v)))),
    ...legendItems,
    '</svg>',
  ].join('\n');
}

function range(values: number[], pad = 0.05, log = false): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (log) {
    // Padded by the same share of the axis's decades.
    if (finite.length === 0) return [1, 10];
    const [lo, hi] = [Math.log10(Math.min(...finite)), Math.log10(Math.max(...finite))];
    const d = hi - lo || 1;
    return [10 ** (lo - pad * d), 10 ** (hi + pad * d)];
  }
  if (finite.length === 0) return [0, 1];
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const d = hi - lo || Math.abs(hi) || 1;
  return [lo - pad * d, hi + pad * d];
}

/** The indices 0..count-1 split into maximal runs where `drawn` holds (where it fails, a line breaks). */
function unbrokenRuns(count: number, drawn: (k: number) => boolean): number[][] {
  const runs: number[][] = [[]];
  for (let k = 0; k < count; k++) (drawn(k) ? runs[runs.length - 1].push(k) : runs.push([]));
  return runs.filter((r) => r.length > 0);
}

export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], scales: ChartScales = {}): string {
  const xr = range(series.filter((s) => !s.reference).flatMap((s) => s.x), 0.02, scales.logX);
  const yr = range(series.flatMap((s) => [...s.y, ...(s.band ?? []), ...(s.spread ?? []).flat()]), 0.05, scales.logY);
  // What the axes can show: finite, and positive on a log axis.
  const drawable = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && (!scales.logX || x > 0) && (!scales.logY || y > 0);
  const body = series.map((s, i) => {
    const color = colorOf(s, i);
    const dash = s.dashed || s.reference ? ' stroke-dasharray="6 4"' : '';
    if (s.reference) {
      const band = s.band
        ? `<polygon points="__X(${xr[0]}),__Y(${s.band[0]}) __X(${xr[1]}),__Y(${s.band[0]}) __X(${xr[1]}),__Y(${s.band[1]}) __X(${xr[0]}),__Y(${s.band[1]})" fill="${color}" fill-opacity="0.12"/>`
        : '';
      return `${band}<line x1="__X(${xr[0]})" y1="__Y(${s.y[0]})" x2="__X(${xr[1]})" y2="__Y(${s.y[0]})" stroke="${color}"${dash} stroke-width="2"/>`;
    }
    // A missing or infinite value (a diverged policy's cost) breaks the line rather than being bridged.
    const point = (k: number, y: number) => `__X(${s.x[k]}),__Y(${y})`;
    const lines = unbrokenRuns(s.x.length, (k) => drawable(s.x[k], s.y[k]))
      .map((r) => `<polyline points="${r.map((k) => point(k, s.y[k])).join(' ')}" fill="none" stroke="${color}"${dash} stroke-width="2"/>`).join('');
    // The spread: along the highs left to right, back along the lows, broken the same way.
    const bounds = s.spread;
    const spread = bounds === undefined ? '' : unbrokenRuns(bounds.length, (k) => drawable(s.x[k], bounds[k][0]) && drawable(s.x[k], bounds[k][1]))
      .filter((r) => r.length > 1)
      .map((r) => `<polygon points="${[...r.map((k) => point(k, bounds[k][1])), ...[...r].reverse().map((k) => point(k, bounds[k][0]))].join(' ')}" fill="${color}" fill-opacity="0.12"/>`).join('');
    const dots = s.dots ? s.x.map((x, k) => (drawable(x, s.y[k]) ? `<circle cx="__X(${x})" cy="__Y(${s.y[k]})" r="3" fill="${color}"/>` : '')).join('') : '';
    return `${spread}${lines}${dots}`;
  }).join('\n');
  return frame(title, xLabel, yLabel, xr, yr, body, series.map((s, i) => ({ name: s.name, color: colorOf(s, i), dashed: s.dashed || s.reference })), scales);
}

/** Histograms of several samples on shared bins, side by side within each bin so that none hides another. */
export function histogram(title: string, xLabel: string, samples: { name: string; values: number[]; color?: string }[], bins = 20): string {
  const all = samples.flatMap((s) => s.values).filter(Number.isFinite);
  const [lo, hi] = all.length ? [Math.min(...all), Math.max(...all) + 1e-9] : [0, 1];
  const width = (hi - lo) / bins || 1;
  const counts = samples.map((s) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of s.values) if (Number.isFinite(v)) c[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
    return c;
  });
  const yr: [number, number] = [0, Math.max(1, ...counts.flat()) * 1.05];
  const slot = width / samples.length;
  const body = counts.map((c, i) => c.map((n, b) => {
    const x0 = lo + b * width + i * slot;
    const color = colorOf(samples[i], i);
    return n === 0 ? '' : `<polygon points="__X(${x0}),__Y(0) __X(${x0}),__Y(${n}) __X(${x0 + slot}),__Y(${n}) __X(${x0 + slot}),__Y(0)" fill="${color}" fill-opacity="0.7" stroke="${color}"/>`;
  }).join('')).join('\n');
  return frame(title, xLabel, 'tasks', [lo, lo + bins * width], yr, body, samples.map((s, i) => ({ name: s.name, color: colorOf(s, i) })));
}

/**
 * A stroboscopic figure of a planar linkage: the chain of points (base, joints, end
 * effector) drawn at several instants, fading from light (start) to dark (end), on equal
 * axis scales so that the links keep their lengths.
 */
export function stroboscope(title: string, xLabel: string, yLabel: string, poses: number[][][]): string {
  const xs = poses.flatMap((pose) => pose.map((p) => p[0]));
  const ys = poses.flatMap((pose) => pose.map((p) => p[1]));
  let xr = range(xs, 0.08);
  let yr = range(ys, 0.08);
  // Equal units per pixel on both axes: widen the range that is narrow for its side.
  const scale = Math.max((xr[1] - xr[0]) / (W - M.left - M.right), (yr[1] - yr[0]) / (H - M.top - M.bottom));
  const widen = (r: [number, number], pixels: number): [number, number] => {
    const mid = (r[0] + r[1]) / 2;
    return [mid - (scale * pixels) / 2, mid + (scale * pixels) / 2];
  };
  xr = widen(xr, W - M.left - M.right);
  yr = widen(yr, H - M.top - M.bottom);
  const body = poses.map((pose, k) => {
    const opacity = (0.15 + 0.85 * (k / Math.max(1, poses.length - 1))).toFixed(2);
    const points = pose.map((p) => `__X(${p[0]}),__Y(${p[1]})`).join(' ');
    const tip = pose[pose.length - 1];
    return `<polyline points="${points}" fill="none" stroke="${COLORS[0]}" stroke-opacity="${opacity}" stroke-width="2"/><circle cx="__X(${tip[0]})" cy="__Y(${tip[1]})" r="2.5" fill="${COLORS[1]}" fill-opacity="${opacity}"/>`;
  }).join('\n');
  return frame(title, xLabel, yLabel, xr, yr, body, []);
}

/** A colour for t in [0, 1] on a dark-blue to yellow ramp (viridis's endpoints and midpoints). */
function ramp(t: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const u = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (stops.length - 1);
  const k = Math.min(Math.floor(u), stops.length - 2);
  const c = stops[k].map((a, i) => Math.round(a + (stops[k + 1][i] - a) * (u - k)));
  return `rgb(${c.join(',')})`;
}

/**
 * A heat map of values on a regular grid: values[j][i] at (xs[i], ys[j]); the legend gives
 * the colours of the smallest, middle and largest value.
 */
export function heatmap(title: string, xLabel: string, yLabel: string, xs: number[], ys: number[], values: number[][]): string {
  if (values.length !== ys.length || values.some((row) => row.length !== xs.length)) throw new RangeError(`heatmap: values must be ${ys.length} rows of ${xs.length}`);
  const finite = values.flat().filter(Number.isFinite);
  const [lo, hi] = finite.length ? [Math.min(...finite), Math.max(...finite)] : [0, 1];
  const edges = (c: number[]) => c.map((v, i) => [i === 0 ? v - (c[1] - v) / 2 : (c[i - 1] + v) / 2, i === c.length - 1 ? v + (v - c[i - 1]) / 2 : (v + c[i + 1]) / 2]);
  const ex = edges(xs);
  const ey = edges(ys);
  const body = values.map((row, j) => row.map((v, i) =>
    `<polygon points="__X(${ex[i][0]}),__Y(${ey[j][0]}) __X(${ex[i][1]}),__Y(${ey[j][0]}) __X(${ex[i][1]}),__Y(${ey[j][1]}) __X(${ex[i][0]}),__Y(${ey[j][1]})" fill="${ramp((v - lo) / (hi - lo || 1))}"/>`).join('')).join('\n');
  const label = (v: number) => Number(v.toPrecision(3)).toString();
  const legend = [lo, (lo + hi) / 2, hi].map((v) => ({ name: label(v), color: ramp((v - lo) / (hi - lo || 1)) }));
  return frame(title, xLabel, yLabel, [ex[0][0], ex[ex.length - 1][1]], [ey[0][0], ey[ey.length - 1][1]], body, legend);
}

/** One panel of `topDownGrid`: discs (obstacles, drawn with an optional dashed inflated rim) and paths seen from above. */
export interface TopDownPanel {
  discs: { x: number; y: number; r: number; margin?: number }[];
  paths: { points: [number, number][]; color: string }[];
  /** Marked in blue (start) and red (goal), as the main paper's Fig. 4 does. */
  starts: [number, number][];
  goals: [number, number][];
}

/**
 * A grid of top-down panels (rows x columns) on one shared, equal-scale (x, y) frame: the main
 * paper's Fig. 4 layout (rows TO, Diff, Sob+Diff; columns 0, 1, 3, 9 obstacles).
 */
export function topDownGrid(title: string, rowLabels: string[], columnLabels: string[], panels: TopDownPanel[][], extent: { x: [number, number]; y: [number, number] }): string {
  const size = 220;
  const gap = 12;
  const left = 90;
  const top = 62;
  const width = Math.max(left + columnLabels.length * (size + gap), 480);
  const height = top + rowLabels.length * (size + gap) + 10;
  const span = Math.max(extent.x[1] - extent.x[0], extent.y[1] - extent.y[0]);
  const cx = (extent.x[0] + extent.x[1]) / 2;
  const cy = (extent.y[0] + extent.y[1]) / 2;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...title.split('\n').map((line, k) => `<text x="${width / 2}" y="${18 + 15 * k}" text-anchor="middle" font-size="13">${escape(line)}</text>`),
  ];
  columnLabels.forEach((label, j) => parts.push(`<text x="${left + j * (size + gap) + size / 2}" y="${top - 8}" text-anchor="middle">${escape(label)}</text>`));
  rowLabels.forEach((label, i) => parts.push(`<text x="${left - 8}" y="${top + i * (size + gap) + size / 2}" text-anchor="end">${escape(label)}</text>`));
  panels.forEach((row, i) => row.forEach((panel, j) => {
    const ox = left + j * (size + gap);
    const oy = top + i * (size + gap);
    const px = (x: number) => (ox + ((x - cx) / span + 0.5) * size).toFixed(1);
    const py = (y: number) => (oy + (0.5 - (y - cy) / span) * size).toFixed(1);
    const scale = size / span;
    // Paths that leave the frame (a diverging policy) are clipped to their own panel.
    parts.push(`<clipPath id="panel-${i}-${j}"><rect x="${ox}" y="${oy}" width="${size}" height="${size}"/></clipPath>`);
    parts.push(`<rect x="${ox}" y="${oy}" width="${size}" height="${size}" fill="none" stroke="#999"/>`, `<g clip-path="url(#panel-${i}-${j})">`);
    for (const d of panel.discs) {
      if (d.margin) parts.push(`<circle cx="${px(d.x)}" cy="${py(d.y)}" r="${((d.r + d.margin) * scale).toFixed(1)}" fill="none" stroke="#777" stroke-dasharray="3 2"/>`);
      parts.push(`<circle cx="${px(d.x)}" cy="${py(d.y)}" r="${(d.r * scale).toFixed(1)}" fill="#777"/>`);
    }
    for (const p of panel.paths) {
      const finite = p.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
      parts.push(`<polyline points="${finite.map(([x, y]) => `${px(x)},${py(y)}`).join(' ')}" fill="none" stroke="${p.color}" stroke-width="1.5"/>`);
    }
    for (const [x, y] of panel.starts) parts.push(`<circle cx="${px(x)}" cy="${py(y)}" r="3.5" fill="#1f77b4"/>`);
    for (const [x, y] of panel.goals) parts.push(`<circle cx="${px(x)}" cy="${py(y)}" r="3.5" fill="#d62728"/>`);
    parts.push('</g>');
  }));
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Vector fields on a plane, one colour per field: an arrow from each point along its vector.
 * `spacing` is the grid step along x and y; each vector is drawn in grid units (its components
 * times the steps, so that a field over a long, thin region is not flattened) and all fields
 * share one scale, chosen so that an arrow at the 90th percentile of the lengths spans 0.9 of
 * a cell (a few outliers would otherwise shrink every other arrow to a dot).
 */
export function quiver(
  title: string, xLabel: string, yLabel: string, spacing: [number, number],
  fields: { name: string; color?: string; points: [number, number][]; vectors: [number, number][] }[],
): string {
  const all = fields.flatMap((f) => f.points);
  const xr = range(all.map((p) => p[0]), 0.1);
  const yr = range(all.map((p) => p[1]), 0.1);
  const [sx, sy] = spacing;
  const lengths = fields.flatMap((f) => f.vectors.map(([a, b]) => Math.hypot(a * sx, b * sy))).filter(Number.isFinite).sort((a, b) => a - b);
  const k = 0.9 / Math.max(lengths[Math.floor(0.9 * (lengths.length - 1))] ?? 1, 1e-300);
  const body = fields.map((f, i) => {
    const color = colorOf(f, i);
    return f.points.map(([x, y], j) => {
      const [dx, dy] = f.vectors[j];
      if (!Number.isFinite(dx) || !Number.isFinite(dy)) return '';
      // k (dx sx, dy sy) cells, that is k (dx sx^2, dy sy^2) in data units.
      const [ex, ey] = [x + k * dx * sx * sx, y + k * dy * sy * sy];
      return `<line x1="__X(${x})" y1="__Y(${y})" x2="__X(${ex})" y2="__Y(${ey})" stroke="${color}" stroke-width="1.5"/><circle cx="__X(${ex})" cy="__Y(${ey})" r="1.8" fill="${color}"/>`;
    }).join('');
  }).join('\n');
  return frame(title, xLabel, yLabel, xr, yr, body, fields.map((f, i) => ({ name: f.name, color: colorOf(f, i) })));
}
