/**
 * `npm run bench`: every benchmark in turn, one process each (so one bench's heap and threads do not
 * colour the next), then one report of them all: bench-results/report.md (each bench's table, command,
 * duration and chart) and bench-results/report.json.
 *   npx tsx tools/bench/run-all.ts [--only ingest,peer]   a subset, by name (pull-model runs only when named)
 * Needs Kafka and Elasticsearch (npm run infra:start), PostgreSQL and the built apps
 * (npx nx run-many -t build). Exits 1 when a bench failed, after running the others.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import type { BenchRow } from './bench-report';
import { ROOT } from './stack';

interface Bench {
  /** The names of the bench-results/<name>.json files the bench writes. */
  writes: string[];
  file: string;
  args: string[];
  why: string;
  /** Left out of the whole suite (it would pass 15 minutes here); run with `--only <name>`. */
  onlyWhenNamed?: boolean;
}

/** Each bench with the parameters the whole suite uses, chosen to finish in under 15 minutes here. */
const BENCHES: Bench[] = [
  { writes: ['messaging'], file: 'messaging.bench.ts', args: [], why: 'event bus: in-process and Kafka' },
  { writes: ['ingest'], file: 'ingest.bench.ts', args: [], why: 'ingest per core and through Kafka' },
  {
    writes: ['retrieval'],
    file: 'retrieval.bench.ts',
    args: ['--calls', '1000'],
    why: 'retrieval per backend and strategy',
  },
  { writes: ['ranking'], file: 'ranking.bench.ts', args: [], why: 'Rank in process and over gRPC' },
  {
    writes: ['serving'],
    file: 'serving.bench.ts',
    args: ['--seconds', '20', '--step-seconds', '8'],
    why: 'embedded homeFeed at fixed rates, up to saturation',
  },
  {
    writes: ['freshness', 'peer'],
    file: 'full-stack.bench.ts',
    args: ['--step-seconds', '8'],
    why: 'freshness per path; homeFeed from Elasticsearch per carousel vs the memory replica',
  },
  {
    writes: ['pull-model'],
    file: 'pull-model.bench.ts',
    args: ['--minutes', '1'],
    why: 'Query Lambdas under ingest on PostgreSQL',
    onlyWhenNamed: true,
  },
];

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only?.split(',');
const unknown = only?.filter((name) => !BENCHES.some((bench) => bench.writes.includes(name)));
if (unknown?.length)
  throw new Error(
    `--only: unknown bench ${unknown.join(', ')}; known: ${BENCHES.flatMap((b) => b.writes).join(', ')}`,
  );
const selected = BENCHES.filter((bench) =>
  only ? bench.writes.some((name) => only.includes(name)) : !bench.onlyWhenNamed,
);
const resultsDir = join(ROOT, 'bench-results');

interface BenchResult {
  bench: string;
  at: string;
  parameters: Record<string, unknown>;
  rows: BenchRow[];
}

function run(bench: Bench): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, join(__dirname, bench.file), ...bench.args], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const us = (value: number) =>
  value >= 10_000
    ? `${(value / 1000).toFixed(0)} ms`
    : value >= 1_000
      ? `${(value / 1000).toFixed(1)} ms`
      : `${value} µs`;

function table(rows: BenchRow[]): string {
  const lines = [
    '| what | items/s | p50 | p99 | p99.9 | notes |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of rows) {
    const l = row.latencyUs;
    lines.push(
      `| ${row.name} | ${row.throughputPerSecond > 0 ? Math.round(row.throughputPerSecond).toLocaleString('en-US') : '-'} | ` +
        `${l ? us(l.p50) : '-'} | ${l ? us(l.p99) : '-'} | ${l ? us(l.p999) : '-'} | ` +
        `${[l?.unit, row.notes].filter(Boolean).join('; ')} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = new Date();
  const outcomes: Array<{ bench: Bench; exitCode: number; seconds: number }> = [];
  for (const bench of selected) {
    console.log(`\n=== ${bench.file} ${bench.args.join(' ')}: ${bench.why}`);
    const t0 = Date.now();
    const exitCode = await run(bench);
    outcomes.push({ bench, exitCode, seconds: Math.round((Date.now() - t0) / 1000) });
  }
  const totalSeconds = Math.round((Date.now() - started.getTime()) / 1000);
  const results: BenchResult[] = [];
  const sections: string[] = [];
  for (const { bench, exitCode, seconds } of outcomes) {
    const command = `npx tsx tools/bench/${bench.file} ${bench.args.join(' ')}`.trim();
    sections.push(
      `## ${bench.writes.join(' and ')}: ${bench.why}\n\n` +
        `\`${command}\`: ${exitCode === 0 ? 'passed' : `**FAILED (exit ${exitCode})**`} in ${seconds} s`,
    );
    for (const name of bench.writes) {
      const file = join(resultsDir, `${name}.json`);
      const result = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResult) : undefined;
      // A file from an earlier run is not this run's result.
      if (!result || new Date(result.at) < started) {
        sections.push(`### ${name}\n\nno result written by this run`);
        continue;
      }
      results.push(result);
      const chart = existsSync(join(resultsDir, `${name}.svg`)) ? `\n\n![${name}](${name}.svg)` : '';
      sections.push(
        `### ${name}\n\nparameters: \`${JSON.stringify(result.parameters)}\`\n\n${table(result.rows)}${chart}`,
      );
    }
  }
  const failed = outcomes.filter((o) => o.exitCode !== 0);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(resultsDir, 'report.md'),
    `# Crest benchmarks, ${started.toISOString()}\n\n` +
      `${machine}. ${outcomes.length} benches in ${Math.floor(totalSeconds / 60)} min ${totalSeconds % 60} s` +
      `${failed.length > 0 ? `; **failed: ${failed.map((o) => o.bench.file).join(', ')}**` : ''}. ` +
      'Latencies are in µs below 1 ms; the goals and what limits each number are in docs/performance.md.\n\n' +
      `${sections.join('\n\n')}\n`,
  );
  writeFileSync(
    join(resultsDir, 'report.json'),
    `${JSON.stringify({ at: started.toISOString(), machine, totalSeconds, outcomes: outcomes.map((o) => ({ file: o.bench.file, args: o.bench.args, exitCode: o.exitCode, seconds: o.seconds })), results }, null, 2)}\n`,
  );
  console.log(`\nall benches: ${totalSeconds} s; report in bench-results/report.md`);
  for (const o of outcomes)
    console.log(`  ${o.bench.file}: ${o.exitCode === 0 ? 'ok' : `FAILED (${o.exitCode})`}, ${o.seconds} s`);
  if (failed.length > 0) process.exitCode = 1;
}

void main();
