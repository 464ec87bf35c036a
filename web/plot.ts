/** Line plots on a canvas, enough for the page: shared axes, a zero line, an optional marker. */
export interface Series {
  xs: number[];
  ys: number[];
  color: string;
}

export function drawLines(canvas: HTMLCanvasElement, series: Series[], options: { markX?: number } = {}): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const pad = 30;
  ctx.clearRect(0, 0, width, height);
  const finite = (v: number) => Number.isFinite(v);
  const xs = series.flatMap((s) => s.xs).filter(finite);
  const ys = series.flatMap((s) => s.ys).filter(finite);
  if (xs.length === 0 || ys.length === 0) return;
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys, 0), Math.max(...ys, 0)];
  if (y1 - y0 < 1e-12) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number) => pad + ((x - x0) / (x1 - x0 || 1)) * (width - 2 * pad);
  const py = (y: number) => height - pad - ((y - y0) / (y1 - y0)) * (height - 2 * pad);
  ctx.strokeStyle = '#bbb';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(pad, py(0));
  ctx.lineTo(width - pad, py(0));
  ctx.stroke();
  ctx.fillStyle = '#666';
  ctx.font = '11px sans-serif';
  ctx.fillText(y1.toPrecision(3), 2, pad - 4);
  ctx.fillText(y0.toPrecision(3), 2, height - pad + 12);
  ctx.fillText(String(x0), pad, height - 8);
  ctx.fillText(String(x1), width - pad - 12, height - 8);
  if (options.markX !== undefined && finite(options.markX)) {
    ctx.strokeStyle = '#999';
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(px(options.markX), pad);
    ctx.lineTo(px(options.markX), height - pad);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let drawing = false;
    s.xs.forEach((x, i) => {
      const y = s.ys[i];
      if (!finite(y)) {
        drawing = false;
        return;
      }
      if (drawing) ctx.lineTo(px(x), py(y));
      else ctx.moveTo(px(x), py(y));
      drawing = true;
    });
    ctx.stroke();
  }
}
