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

export interface ServingStack {
  ingestor: StackApp;
  ranking: StackApp;
  feed: StackApp;
  producer: ChildProcess;
  /** The producer first (on SIGTERM it ends its live streams), then, once the ingestor has applied that, the apps. */
  stop(): Promise<void>;
}

/**
 * The serving path as processes, on ports `firstPort` to `firstPort + 3`: the ingestor (Kafka into the
 * state topic and Elasticsearch alias `alias`, as group `groupId`), a producer at `eventsPerSecond` with
 * about `liveStreams` live, the ranking-service, and feed-api on its Kafka replicas with the Elasticsearch
 * fallback, ranking over gRPC (`feedEnv` adds to its env). Resolves once feed-api serves a feed and the
 * ingestor lags less than a second of events: what earlier runs left on the topics goes through first, so
 * the caller measures the steady state. On failure it prints what the apps said and stops them.
 */
export async function startServingStack(options: {
  firstPort: number;
  alias: string;
  groupId: string;
  eventsPerSecond: number;
  liveStreams: number;
  feedEnv?: Record<string, string>;
}): Promise<ServingStack> {
  const { firstPort: port, alias, eventsPerSecond } = options;
  const apps: StackApp[] = [];
  let producer: ChildProcess | undefined;
  const stop = async () => {
    if (producer) {
      await stopProcess(producer);
      // Let the ingestor apply the streams' ends before it stops, or the state topic keeps them live.
      const ingestor = apps[0];
      if (ingestor && ingestor.child.exitCode === null)
        await until(
          'the ingestor to apply the ended streams',
          async () => (await ingestLag(ingestor)) === 0,
          30_000,
        ).catch((error: Error) => console.error(`stopping anyway: ${error.message}`));
    }
    await Promise.all(apps.map((app) => app.stop()));
  };
  try {
    const ingestor = startApp('event-ingestor', port, {
      KAFKA_BROKERS,
      ELASTICSEARCH_URL,
      ELASTICSEARCH_INDEX_ALIAS: alias,
      INGEST_GROUP_ID: options.groupId,
    });
    const ranking = startApp('ranking-service', port + 1, { RANKING_GRPC_PORT: String(port + 2) });
    apps.push(ingestor, ranking);
    await until('the ingestor to be ready', async () => (await fetch(`${ingestor.url}/ready`)).ok, 120_000);
    producer = startProducer(eventsPerSecond, options.liveStreams);
    const feed = startApp('feed-api', port + 3, {
      KAFKA_BROKERS,
      ELASTICSEARCH_URL,
      ELASTICSEARCH_INDEX_ALIAS: alias,
      RANKING_GRPC_URL: `127.0.0.1:${port + 2}`,
      RATE_LIMIT_PER_SECOND: '0',
      // Listen only once both replicas hold the topics: a feed-api still catching up measures the catch-up
      // (earlier runs leave more on the topics every time).
      REPLICA_CATCH_UP_TIMEOUT_MS: '600000',
      ...options.feedEnv,
    });
    apps.push(feed);
    await until(
      'feed-api to serve a feed',
      async () => {
        const response = await fetch(`${feed.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ homeFeed(first: 1) { edges { node { id } } } }' }),
        });
        const body = (await response.json()) as { data?: { homeFeed?: { edges: unknown[] } } };
        return (body.data?.homeFeed?.edges.length ?? 0) > 0;
      },
      660_000,
    );
    await until(
      'the ingestor to catch up (lag under a second of events)',
      async () => (await ingestLag(ingestor)) < eventsPerSecond,
      600_000,
    );
    return { ingestor, ranking, feed, producer, stop };
  } catch (error) {
    for (const app of apps) console.error(`--- ${app.name}:\n${app.log.join('').slice(-3_000)}`);
    await stop();
    throw error;
  }
}
