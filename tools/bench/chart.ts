/** Small, dependency-free SVG charts for the bench reports (they open in any browser and in GitHub). */

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface LineSeries {
  name: string;
  points: Array<[x: number, y: number]>;
}

/** One line per series over a shared x axis starting at 0. */
export function lineChart(title: string, xLabel: string, series: LineSeries[]): string {
  const width = 900;
  const height = 420;
  const pad = { left: 60, right: 180, top: 30, bottom: 40 };
  const all = series.flatMap((s) => s.points);
  const maxX = Math.max(...all.map(([x]) => x), 1);
  const maxY = Math.max(...all.map(([, y]) => y), 1) * 1.1;
  const x = (value: number) => pad.left + (value / maxX) * (width - pad.left - pad.right);
  const y = (value: number) => height - pad.bottom - (value / maxY) * (height - pad.top - pad.bottom);
  const lines = series.map((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = s.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    return (
      `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>` +
      `<text x="${width - pad.right + 10}" y="${pad.top + 20 * i + 10}" fill="${colour}">${escape(s.name)}</text>`
    );
  });
  const ticks = Array.from({ length: 5 }, (_, i) => (maxY / 4) * i).map(
    (value) =>
      `<text x="${pad.left - 8}" y="${y(value) + 4}" text-anchor="end">${Math.round(value)}</text>` +
      `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(value)}" y2="${y(value)}" stroke="#eee"/>`,
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="${pad.left}" y="18" font-size="14">${escape(title)}</text>` +
    ticks.join('') +
    `<text x="${(width - pad.right) / 2}" y="${height - 8}" text-anchor="middle">${escape(xLabel)}</text>` +
    `<text x="${x(maxX)}" y="${height - pad.bottom + 16}" text-anchor="end">${Math.round(maxX)}</text>` +
    lines.join('') +
    '</svg>'
  );
}

export interface BarGroup {
  label: string;
  /** One value per entry of the chart's `measures`, e.g. p50 and p99. */
  values: number[];
}

/**
 * Horizontal grouped bars on a log scale (latencies here span microseconds to seconds), one group per row,
 * each bar labelled with its value.
 */
export function barChart(title: string, unit: string, measures: string[], groups: BarGroup[]): string {
  const barHeight = 12;
  const groupHeight = measures.length * barHeight + 10;
  const labelWidth = 330;
  const plotWidth = 480;
  const pad = { top: 50, bottom: 30 };
  const width = labelWidth + plotWidth + 110;
  const height = pad.top + groups.length * groupHeight + pad.bottom;
  const positive = groups.flatMap((g) => g.values).filter((v) => v > 0);
  const low = Math.log10(Math.max(Math.min(...positive, 1), 1e-9)) - 0.3;
  const high = Math.log10(Math.max(...positive, 10)) + 0.1;
  const length = (value: number) =>
    value <= 0 ? 0 : Math.max(1, ((Math.log10(value) - low) / (high - low)) * plotWidth);
  const legend = measures.map(
    (measure, i) =>
      `<rect x="${labelWidth + 90 * i}" y="26" width="10" height="10" fill="${COLOURS[i % COLOURS.length]}"/>` +
      `<text x="${labelWidth + 90 * i + 14}" y="35">${escape(measure)}</text>`,
  );
  const bars = groups.map((group, g) => {
    const top = pad.top + g * groupHeight;
    const label = `<text x="${labelWidth - 8}" y="${top + (measures.length * barHeight) / 2 + 4}" text-anchor="end">${escape(group.label)}</text>`;
    return (
      label +
      group.values
        .map((value, i) => {
          const w = length(value);
          const yy = top + i * barHeight;
          return (
            `<rect x="${labelWidth}" y="${yy}" width="${w.toFixed(1)}" height="${barHeight - 2}" fill="${COLOURS[i % COLOURS.length]}"/>` +
            `<text x="${labelWidth + w + 4}" y="${yy + barHeight - 3}" font-size="10">${formatValue(value)} ${escape(unit)}</text>`
          );
        })
        .join('')
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="8" y="18" font-size="14">${escape(title)} (log scale)</text>` +
    legend.join('') +
    bars.join('') +
    '</svg>'
  );
}

function formatValue(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3).replace(/\.?0+$/, '');
}
