import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

import { build, type Histogram } from 'hdr-histogram-js';

import { barChart } from './chart';

export interface BenchRow {
  name: string;
  /** Items handled per second over the whole run. */
  throughputPerSecond: number;
  items: number;
  seconds: number;
  /** Latency percentiles in microseconds, when the row measures latency. */
  latencyUs?: { p50: number; p99: number; p999: number; max: number; unit: string };
  notes?: string;
}

/** An HDR histogram of microseconds, 1 µs to 60 s at 3 significant digits. */
export function latencyHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

export function percentiles(histogram: Histogram, unit: string): NonNullable<BenchRow['latencyUs']> {
  return {
    p50: histogram.getValueAtPercentile(50),
    p99: histogram.getValueAtPercentile(99),
    p999: histogram.getValueAtPercentile(99.9),
    max: histogram.maxValue,
    unit,
  };
}

/**
 * Prints the rows as a table and writes them, with the machine and versions, to bench-results/<name>.json,
 * and the latency rows' percentiles as a chart to bench-results/<name>.svg.
 */
export function report(benchName: string, parameters: Record<string, unknown>, rows: BenchRow[]): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`\n${benchName} (${JSON.stringify(parameters)})`);
  console.log(
    [
      'what'.padEnd(44),
      'items/s'.padStart(12),
      'p50'.padStart(9),
      'p99'.padStart(9),
      'p99.9'.padStart(9),
      '  latency of',
    ].join(' '),
  );
  for (const row of rows) {
    const l = row.latencyUs;
    console.log(
      [
        row.name.padEnd(44),
        (row.throughputPerSecond > 0 ? fmt(row.throughputPerSecond) : '-').padStart(12),
        (l ? `${fmt(l.p50)}µs` : '-').padStart(9),
        (l ? `${fmt(l.p99)}µs` : '-').padStart(9),
        (l ? `${fmt(l.p999)}µs` : '-').padStart(9),
        `  ${l?.unit ?? ''}${row.notes ? `${l ? '; ' : ''}${row.notes}` : ''}`,
      ].join(' '),
    );
  }
  const dir = join(__dirname, '../../bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${benchName}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        bench: benchName,
        at: new Date().toISOString(),
        machine: {
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model,
          memoryGiB: Math.round(totalmem() / 2 ** 30),
        },
        versions: { node: process.version, v8: process.versions.v8 },
        parameters,
        rows,
      },
      null,
      2,
    )}\n`,
  );
  const latencyRows = rows.filter((row) => row.latencyUs);
  if (latencyRows.length > 0)
    writeFileSync(
      join(dir, `${benchName}.svg`),
      barChart(
        `${benchName}: latency percentiles`,
        'ms',
        ['p50', 'p99', 'p99.9'],
        latencyRows.map((row) => ({
          label: row.name,
          values: [row.latencyUs!.p50, row.latencyUs!.p99, row.latencyUs!.p999].map((us) => us / 1000),
        })),
      ),
    );
  console.log(`written to ${file}${latencyRows.length > 0 ? ` and ${benchName}.svg` : ''}`);
}
