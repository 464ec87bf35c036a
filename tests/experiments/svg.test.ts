/**
 * The line chart's log axes: decades are equally wide, ticks fall on 1, 2, 5 times powers of
 * ten, and a value a log axis cannot show (0, a negative) breaks the line like a non-finite one.
 */
import { describe, expect, it } from 'vitest';
import { lineChart } from '../../src/experiments/runner/svg.js';

/** The pixel coordinates of a chart's first polyline(s). */
const polylines = (svg: string) => [...svg.matchAll(/<polyline points="([^"]*)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number)));

describe('svg lineChart', () => {
  it('spaces decades equally on log axes and drops the points they cannot show', () => {
    const svg = lineChart('t', 'x', 'y', [{ name: 'a', x: [0, 10, 100, 1000], y: [5, 1, 10, 100] }], { logX: true, logY: true });
    const lines = polylines(svg);
    // x = 0 cannot be drawn: the line starts at x = 10.
    expect(lines).toHaveLength(1);
    const [p1, p2, p3] = lines[0]!;
    expect(lines[0]).toHaveLength(3);
    expect(p2![0]! - p1![0]!).toBeCloseTo(p3![0]! - p2![0]!, 9);
    expect(p1![1]! - p2![1]!).toBeCloseTo(p2![1]! - p3![1]!, 9);
    const labels = [...svg.matchAll(/text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels).toEqual(expect.arrayContaining(['10', '20', '50', '100', '1000']));
    // Linear axes are unchanged: the same series draws its x = 0 point.
    expect(polylines(lineChart('t', 'x', 'y', [{ name: 'a', x: [0, 10, 100, 1000], y: [5, 1, 10, 100] }]))[0]).toHaveLength(4);
  });

  it('breaks a line at a non-positive value on a log y axis, and labels large ticks in exponent form', () => {
    const svg = lineChart('t', 'x', 'y', [{ name: 'a', x: [1e3, 1e4, 1e5, 1e6], y: [3, -1, 2, 4] }], { logX: true, logY: true });
    expect(polylines(svg).map((l) => l.length)).toEqual([1, 2]);
    expect(svg).toContain('>1e6<');
    expect(svg).toContain('>1e4<');
    expect(svg).toContain('>1000<');
  });

  it('shades a spread from its highs to its lows, broken where a bound cannot be drawn', () => {
    const polygons = (svg: string) => [...svg.matchAll(/<polygon points="([^"]*)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number)));
    const spread: [number, number][] = [[1, 3], [2, 4], [0, Infinity], [3, 5], [4, 6]];
    const svg = lineChart('t', 'x', 'y', [{ name: 'a', x: [0, 1, 2, 3, 4], y: [2, 3, 4, 4, 5], spread }]);
    const shapes = polygons(svg);
    // Two pieces (points 0-1 and 3-4), each up along the highs and back along the lows.
    expect(shapes.map((p) => p.length)).toEqual([4, 4]);
    const line = polylines(svg)[0]!;
    for (const [piece, [a, b]] of [[shapes[0]!, [0, 1]], [shapes[1]!, [3, 4]]] as const) {
      expect(piece.map((p) => p[0])).toEqual([line[a]![0], line[b]![0], line[b]![0], line[a]![0]]);
      // SVG's y grows downwards: a high is above its point, a low below.
      expect(piece[0]![1]!).toBeLessThan(line[a]![1]!);
      expect(piece[3]![1]!).toBeGreaterThan(line[a]![1]!);
    }
    // The axis takes the spread in: the highest bound drawn (6) is inside the plot, below its top edge.
    expect(Math.min(...shapes.flat().map((p) => p[1]!))).toBeGreaterThan(36);
    // Without a spread, no polygon.
    expect(polygons(lineChart('t', 'x', 'y', [{ name: 'a', x: [0, 1], y: [1, 2] }]))).toHaveLength(0);
  });
});
