/**
 * The full stack for benches and the soak: the built apps as their own processes, a producer process
 * publishing the simulated marketplace through Kafka, and the probes that read them (readiness, lag, RSS).
 * The e2e suites have their own harness (e2e/app-process.ts) with Jest-facing failure messages.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { assertFixedPortUsable } from '@crest/testing';

export const ROOT = join(__dirname, '../..');
export const KAFKA_BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
export const ELASTICSEARCH_URL = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';
export const DATABASE_URL =
  process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface StackApp {
  name: string;
  child: ChildProcess;
  url: string;
  /** What the process printed, for failure messages. */
  log: string[];
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** Starts dist/apps/<app>/main.js on `port` (at LOG_LEVEL warn); does not wait for it to be ready. */
export function startApp(app: string, port: number, env: Record<string, string>): StackApp {
  assertFixedPortUsable(port);
  const main = join(ROOT, `dist/apps/${app}/main.js`);
  if (!existsSync(main)) throw new Error(`${main} is missing: run npx nx run-many -t build`);
  const child = spawn(process.execPath, [...cpuProfileFlags(app), main], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  return { name: app, child, url: `http://127.0.0.1:${port}`, log, stop: () => stopProcess(child) };
}

/**
 * With `CREST_CPU_PROF_DIR` set, the node flags that make a started app write a V8 CPU profile into that
 * directory when it exits (`npm run bench:profile -- <dir>` reads them); none otherwise.
 */
export function cpuProfileFlags(app: string): string[] {
  const dir = process.env['CREST_CPU_PROF_DIR'];
  if (!dir) return [];
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${app}-${Date.now()}.cpuprofile`];
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone (and has written its profile). */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Polls `probe` (a throw counts as not yet) until it holds; fails after `timeoutMs` saying what it awaited. */
export async function until(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  pollMs = 500,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The resident set of a process in MB, or null once it is gone. */
export function rssMb(pid: number | undefined): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) / 1024;
  } catch {
    return null;
  }
}

/** The event-ingestor's consumer lag summed over its partitions, from its /metrics. */
export async function ingestLag(ingestor: StackApp): Promise<number> {
  const metrics = await fetch(`${ingestor.url}/metrics`).then((r) => r.text());
  return [...metrics.matchAll(/^crest_ingest_consumer_lag\{[^}]*\} (\d+)$/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

/**
 * A producer process (tools/bench/producer.ts): the simulated marketplace at `eventsPerSecond` on the wall
 * clock, published to Kafka, with about `liveStreams` streams live. Its own process, as a marketplace is,
 * so its encoding does not share the measuring process's event loop.
 */
export function startProducer(eventsPerSecond: number, liveStreams: number): ChildProcess {
  return fork(
    join(__dirname, 'producer.ts'),
    ['--events', String(eventsPerSecond), '--streams', String(liveStreams)],
    {
      execArgv: process.execArgv,
    },
  );
}
