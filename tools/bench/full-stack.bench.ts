/**
 * Freshness and the peer comparison on the full stack: the built event-ingestor (state topic,
 * Elasticsearch and the PostgreSQL pull model as sinks) and a producer process publishing the simulated
 * marketplace through real Kafka; then, one retrieval path at a time, a built feed-api whose every carousel
 * is served by that path alone (no fallback, budgets of 1 s so a slow path is measured, not cut off):
 *   memory         Crest's default: the memory replica of the state topic;
 *   elasticsearch  one Elasticsearch query per carousel, the seed's design;
 *   sql            one Query Lambda per carousel on the pull model.
 * Per path:
 *   freshness  a followed seller's stream goes live (or ends) on Kafka → in (or out of) the follower's
 *              homeFeed, polled back to back through GraphQL; HDR percentiles over --samples samples;
 *   peer       homeFeed at fixed arrival rates (open loop, latency from each scheduled send), stepped up
 *              until p99 passes --p99-limit-ms or a request fails; then the ratios of each path to memory.
 * Ranking is in process in every feed-api here, so the paths differ by retrieval only.
 *   npx tsx tools/bench/full-stack.bench.ts [--only freshness|peer] [--paths memory,elasticsearch,sql]
 *     [--events 300] [--streams 200] [--samples 20] [--steps 25,50,100,200] [--step-seconds 10]
 *     [--sinks state,elasticsearch,sql]
 * `--sinks` picks what the ingestor writes (all three by default, as deployed); with fewer, a path's
 * freshness is measured without the other sinks' work in the same ingestor (each path needs its own sink).
 * Needs Kafka and Elasticsearch (npm run infra:start), PostgreSQL (PULL_MODEL_DATABASE_URL) and the built
 * apps (npx nx run-many -t build). Writes bench-results/freshness.json and bench-results/peer.json.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { KafkaEventBus } from '@crest/messaging';
import { encodeSimulatedItem, makeEvent, SIMULATED_CATEGORIES } from '@crest/testing';

import { type BenchRow, latencyHistogram, percentiles, report } from './bench-report';
import { fixedRateLoad } from './fixed-rate';
import {
  DATABASE_URL,
  ELASTICSEARCH_URL,
  ingestLag,
  KAFKA_BROKERS,
  ROOT,
  type StackApp,
  startApp,
  startProducer,
  stopProcess,
  until,
} from './stack';

const PATHS = ['memory', 'elasticsearch', 'sql'] as const;
type RetrievalPath = (typeof PATHS)[number];
const SINKS = ['state', 'elasticsearch', 'sql'] as const;
type Sink = (typeof SINKS)[number];
/** The ingestor sink each path reads. */
const SINK_OF: Record<RetrievalPath, Sink> = { memory: 'state', elasticsearch: 'elasticsearch', sql: 'sql' };

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    paths: { type: 'string', default: PATHS.join(',') },
    sinks: { type: 'string', default: SINKS.join(',') },
    events: { type: 'string', default: '300' },
    streams: { type: 'string', default: '200' },
    samples: { type: 'string', default: '20' },
    steps: { type: 'string', default: '25,50,100,200' },
    'step-seconds': { type: 'string', default: '10' },
    'p99-limit-ms': { type: 'string', default: '1000' },
  },
});
const paths = values.paths.split(',') as RetrievalPath[];
const unknownPath = paths.find((path) => !PATHS.includes(path));
if (unknownPath) throw new Error(`--paths: unknown path ${unknownPath}; known: ${PATHS.join(', ')}`);
const sinks = values.sinks.split(',') as Sink[];
const unknownSink = sinks.find((sink) => !SINKS.includes(sink));
if (unknownSink) throw new Error(`--sinks: unknown sink ${unknownSink}; known: ${SINKS.join(', ')}`);
// The state topic is how the ingestor hands docs to every replica; it is never optional.
if (!sinks.includes('state')) throw new Error('--sinks must include state');
const unfed = paths.find((path) => !sinks.includes(SINK_OF[path]));
if (unfed) throw new Error(`--paths ${unfed} needs --sinks to include ${SINK_OF[unfed]}`);
if (values.only !== undefined && !['freshness', 'peer'].includes(values.only))
  throw new Error('--only must be freshness or peer');
const eventsPerSecond = Number(values.events);
const liveStreams = Number(values.streams);
const sampleCount = Number(values.samples);
const steps = values.steps.split(',').map(Number);
const stepSeconds = Number(values['step-seconds']);
const p99LimitUs = Number(values['p99-limit-ms']) * 1000;
if (![eventsPerSecond, liveStreams, sampleCount, stepSeconds, p99LimitUs, ...steps].every((n) => n > 0))
  throw new Error(
    '--events, --streams, --samples, --steps, --step-seconds and --p99-limit-ms must be positive',
  );

/** One index and schema for every run, as the ingestor's group is one (see Stack.start). */
const STACK = {
  ELASTICSEARCH_URL,
  ELASTICSEARCH_INDEX_ALIAS: 'crest-bench-livestreams',
  PULL_MODEL_DATABASE_URL: DATABASE_URL,
  PULL_MODEL_SCHEMA: 'crest_bench',
};
/** What the ingestor is told: the settings of the sinks it writes, only. */
const INGESTOR_SINKS = {
  ...(sinks.includes('elasticsearch')
    ? { ELASTICSEARCH_URL, ELASTICSEARCH_INDEX_ALIAS: STACK.ELASTICSEARCH_INDEX_ALIAS }
    : {}),
  ...(sinks.includes('sql')
    ? { PULL_MODEL_DATABASE_URL: DATABASE_URL, PULL_MODEL_SCHEMA: STACK.PULL_MODEL_SCHEMA }
    : {}),
};
const INGESTOR_PORT = 29_811;
const FEED_PORT = 29_812;

interface Carousel {
  id: string;
  servedBy: { retrieval: string | null };
  items: { edges: Array<{ node: { id: string } }> };
}
const HOME = JSON.stringify({
  query:
    '{ homeFeed(first: 10) { edges { node { id servedBy { retrieval } items { edges { node { id } } } } } } }',
});
/** What the serving load asks: the README's card fields, like tools/bench/serving.bench.ts. */
const CARDS = JSON.stringify({
  query:
    '{ homeFeed(first: 5) { edges { node { id servedBy { retrieval } items { edges { node { id title viewers status reason trackingToken auction { currentBidMinor endsAt } } } pageInfo { endCursor } } } } } }',
});

/** The example payload with every carousel on `path` alone: no fallback, 1 s per carousel, 2 s per request. */
function payloadOnPath(path: RetrievalPath): string {
  const onPath = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(onPath);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value).flatMap(([key, inner]): Array<[string, unknown]> => {
      if (key === 'fallback') return [];
      if (key === 'primary') return [[key, path]];
      if (key === 'budgetMs') return [[key, 1_000]];
      if (key === 'requestBudgetMs') return [[key, 2_000]];
      return [[key, onPath(inner)]];
    });
    return Object.fromEntries(entries);
  };
  const example = JSON.parse(
    readFileSync(join(ROOT, 'libs/experiments/payloads/home-feed.example.json'), 'utf8'),
  );
  const file = join(tmpdir(), `crest-bench-payload-${path}.json`);
  writeFileSync(file, JSON.stringify(onPath(example)));
  return file;
}

async function homeFeed(feed: StackApp, body: string, user?: string): Promise<Carousel[]> {
  const response = await fetch(`${feed.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(user ? { 'x-crest-user-id': user } : {}) },
    body,
  });
  const answer = (await response.json()) as {
    data?: { homeFeed: { edges: Array<{ node: Carousel }> } };
    errors?: unknown[];
  };
  if (!response.ok || answer.errors || !answer.data)
    throw new Error(`homeFeed: ${response.status} ${JSON.stringify(answer.errors ?? answer).slice(0, 300)}`);
  return answer.data.homeFeed.edges.map((edge) => edge.node);
}

const now = () => new Date().toISOString();
/** Ids of their own: makeEvent's seeded ids repeat across processes, and the ingestor drops repeats. */
const event = (type: EventType, fields: Record<string, unknown>) =>
  makeEvent(type, { eventId: randomUUID(), occurredAt: now(), ...fields } as never) as MarketplaceEvent;
const status = (livestreamId: string, sellerId: string, to: 'live' | 'ended') =>
  event(EventType.LivestreamStatusChanged, {
    livestreamId,
    sellerId,
    payload: {
      status: to,
      title: 'bench: a stream that just went live',
      categoryIds: [SIMULATED_CATEGORIES[0]],
      scheduledStartAt: now(),
      thumbnailUrl: 'https://img.example.com/bench.jpg',
    },
  });

class Stack {
  readonly bus = new KafkaEventBus({
    brokers: KAFKA_BROKERS.split(','),
    clientId: `bench-full-stack-${randomUUID().slice(0, 8)}`,
    createTopics: true,
  });
  private readonly apps: StackApp[] = [];
  private producer?: ReturnType<typeof startProducer>;

  private ingestor?: StackApp;

  /**
   * The ingestor with its sinks (`--sinks`: the state topic, Elasticsearch, the pull model), each writing in
   * its own lane, and the producer; once the ingestor has caught up with what is already on the topics.
   */
  async start(): Promise<void> {
    const ingestor = this.track(
      startApp('event-ingestor', INGESTOR_PORT, {
        KAFKA_BROKERS,
        ...INGESTOR_SINKS,
        // The same group every run: a new group would read the topics' whole history first.
        INGEST_GROUP_ID: 'crest.bench.full-stack',
      }),
    );
    this.ingestor = ingestor;
    await until('the ingestor to be ready', async () => (await fetch(`${ingestor.url}/ready`)).ok, 300_000);
    this.producer = startProducer(eventsPerSecond, liveStreams);
    console.error('[bench] ingestor: catching up with what is already on the topics');
    await until(
      'the ingestor to catch up (lag under a second of events)',
      async () => (await ingestLag(ingestor)) < eventsPerSecond,
      600_000,
    );
  }

  /** The ingestor's consumer lag now (events not yet committed), for the report. */
  lag(): Promise<number> {
    return this.ingestor ? ingestLag(this.ingestor) : Promise.resolve(0);
  }

  /** A feed-api on `path`, once it serves a feed from that path. */
  async feedApi(path: RetrievalPath): Promise<StackApp> {
    const feed = this.track(
      startApp('feed-api', FEED_PORT, {
        KAFKA_BROKERS,
        ...STACK,
        GROWTHBOOK_PAYLOAD_FILE: payloadOnPath(path),
        RATE_LIMIT_PER_SECOND: '0',
        // Serve only once the replicas hold the topics' present: the bench measures the steady state.
        REPLICA_CATCH_UP_TIMEOUT_MS: '600000',
      }),
    );
    await until(
      `feed-api to serve a feed from ${path}`,
      async () => {
        const carousels = await homeFeed(feed, HOME);
        return carousels.length > 0 && carousels.every((c) => c.servedBy.retrieval === path);
      },
      600_000,
    );
    return feed;
  }

  async publish(events: MarketplaceEvent[]): Promise<void> {
    await this.bus.publish(events.map((e) => encodeSimulatedItem({ kind: 'event', event: e })));
  }

  async stop(app: StackApp): Promise<void> {
    await app.stop();
    this.apps.splice(this.apps.indexOf(app), 1);
  }

  async close(failed: boolean): Promise<void> {
    if (failed)
      for (const app of this.apps) console.error(`--- ${app.name}:\n${app.log.join('').slice(-3_000)}`);
    // SIGTERM: the producer ends its live streams before it goes.
    if (this.producer) await stopProcess(this.producer);
    await Promise.all(this.apps.map((app) => app.stop()));
    await this.bus.close();
    for (const path of PATHS) rmSync(join(tmpdir(), `crest-bench-payload-${path}.json`), { force: true });
  }

  private track(app: StackApp): StackApp {
    this.apps.push(app);
    return app;
  }
}

/** A returning user who follows a seller of their own, once that seller's first stream is in their feed. */
async function follower(stack: Stack, feed: StackApp): Promise<{ userId: string; sellerId: string }> {
  const userId = randomUUID();
  const sellerId = randomUUID();
  await stack.publish([
    event(EventType.UserFollowedSeller, { userId, sellerId }),
    event(EventType.UserFollowedCategory, { userId, payload: { categoryId: SIMULATED_CATEGORIES[0] } }),
  ]);
  const first = randomUUID();
  await stack.publish([status(first, sellerId, 'live')]);
  await until(
    "the followed seller's first stream in the follower's feed",
    async () => inFeed(await homeFeed(feed, HOME, userId), first),
    60_000,
    100,
  );
  return { userId, sellerId };
}

const inFeed = (carousels: Carousel[], livestreamId: string) =>
  carousels.some((c) => c.items.edges.some((e) => e.node.id === livestreamId));

/** How long a sample may take: past it the sample counts as missed, recorded at this value. */
const SAMPLE_TIMEOUT_MS = 30_000;

/**
 * Microseconds from publishing `events` until `holds` is true of the follower's feed, polled back to back;
 * `missed` when it did not hold within SAMPLE_TIMEOUT_MS.
 */
async function timeUntil(
  stack: Stack,
  feed: StackApp,
  userId: string,
  events: MarketplaceEvent[],
  holds: (carousels: Carousel[]) => boolean,
): Promise<{ us: number; polls: number; missed: boolean }> {
  const started = performance.now();
  await stack.publish(events);
  for (let polls = 1; ; polls++) {
    const held = holds(await homeFeed(feed, HOME, userId));
    const us = Math.max(1, Math.round((performance.now() - started) * 1000));
    if (held) return { us, polls, missed: false };
    if (us > SAMPLE_TIMEOUT_MS * 1000) return { us, polls, missed: true };
  }
}

async function freshness(stack: Stack, feed: StackApp, path: RetrievalPath): Promise<BenchRow[]> {
  const { userId, sellerId } = await follower(stack, feed);
  const live = latencyHistogram();
  const ended = latencyHistogram();
  let polls = 0;
  let missed = 0;
  const started = performance.now();
  for (let i = 0; i < sampleCount; i++) {
    const livestreamId = randomUUID();
    const shown = await timeUntil(stack, feed, userId, [status(livestreamId, sellerId, 'live')], (c) =>
      inFeed(c, livestreamId),
    );
    const gone = await timeUntil(
      stack,
      feed,
      userId,
      [status(livestreamId, sellerId, 'ended')],
      (c) => !inFeed(c, livestreamId),
    );
    live.recordValue(shown.us);
    ended.recordValue(gone.us);
    polls += shown.polls + gone.polls;
    missed += Number(shown.missed) + Number(gone.missed);
    if ((i + 1) % 10 === 0)
      console.error(
        `[bench] ${path}: ${i + 1} samples; live → in feed p50 ${(live.getValueAtPercentile(50) / 1000).toFixed(0)} ms, ` +
          `max ${(live.maxValue / 1000).toFixed(0)} ms; ended → out p50 ${(ended.getValueAtPercentile(50) / 1000).toFixed(0)} ms`,
      );
  }
  const seconds = (performance.now() - started) / 1000;
  const pollMs = (seconds * 1000) / polls;
  const lag = await stack.lag();
  const row = (what: string, histogram: typeof live): BenchRow => ({
    name: `${path}: ${what}`,
    items: sampleCount,
    seconds,
    throughputPerSecond: 0,
    latencyUs: percentiles(histogram, 'produced → seen in homeFeed'),
    notes:
      `${sampleCount} samples at ${eventsPerSecond} events/s, homeFeed polled back to back (one poll ≈ ` +
      `${pollMs.toFixed(1)} ms); ingest lag after: ${lag} events` +
      (missed > 0 ? `; ${missed} samples MISSED (not seen within ${SAMPLE_TIMEOUT_MS / 1000} s)` : ''),
  });
  return [row('live → in homeFeed', live), row('ended → out of homeFeed', ended)];
}

/** homeFeed at each step's fixed rate until p99 passes the limit or a request fails. */
async function serving(feed: StackApp, path: RetrievalPath): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const load = async (rate: number, seconds: number) => {
    const histogram = latencyHistogram();
    let errors = 0;
    let carousels = 0;
    let firstError = '';
    const { sent, elapsedSeconds } = await fixedRateLoad({
      rate,
      seconds,
      send: async (i) => {
        const answer = await homeFeed(feed, CARDS, i % 4 === 0 ? undefined : `bench-user-${i % 500}`).catch(
          (error: Error) => {
            firstError ||= error.message;
            throw error;
          },
        );
        carousels += answer.filter((c) => c.servedBy.retrieval === path).length;
        return true;
      },
      onResult: (ok, latencyMs) => {
        if (!ok) errors++;
        histogram.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
      },
    });
    return { histogram, errors, carousels, firstError, sent, elapsedSeconds };
  };
  await load(50, 5); // warm-up: JIT, connection pools, the first GrowthBook evaluation
  for (const rate of steps) {
    const run = await load(rate, stepSeconds);
    const latency = percentiles(run.histogram, 'homeFeed, from scheduled send');
    console.error(
      `[bench] ${path} @${rate}/s: p50 ${(latency.p50 / 1000).toFixed(1)} ms, p99 ${(latency.p99 / 1000).toFixed(1)} ms, ${run.errors} errors`,
    );
    const served = run.sent - run.errors;
    const name = `${path} homeFeed @${rate}/s`;
    rows.push({
      name,
      items: served,
      seconds: run.elapsedSeconds,
      throughputPerSecond: served / run.elapsedSeconds,
      latencyUs: latency,
      notes:
        `${carouselsPerFeed(name, run.carousels / Math.max(1, served)).toFixed(2)} carousels per feed from ${path}` +
        (run.errors > 0 ? `; ${run.errors} errors (first: ${run.firstError})` : ''),
    });
    if (run.errors > 0 || latency.p99 > p99LimitUs) break;
  }
  return rows;
}

/** Carousels per feed served by the path, per serving row: a feed that dropped carousels answers faster. */
const carouselsByRow = new Map<string, number>();
function carouselsPerFeed(row: string, perFeed: number): number {
  carouselsByRow.set(row, perFeed);
  return perFeed;
}

/**
 * Each path's latency over memory's at the same rate: how many times slower the path is. Only comparable
 * when both served as many carousels: a path whose carousels failed or timed out dropped them (the feed
 * fails open per carousel) and answered an emptier feed sooner.
 */
function ratios(rows: BenchRow[]): BenchRow[] {
  const byName = new Map(rows.map((row) => [row.name, row]));
  return rows.flatMap((row) => {
    const [path, , rate] = row.name.split(' ');
    const memory = byName.get(`memory homeFeed ${rate}`);
    if (path === 'memory' || !memory?.latencyUs || !row.latencyUs) return [];
    const p50 = row.latencyUs.p50 / memory.latencyUs.p50;
    const p99 = row.latencyUs.p99 / memory.latencyUs.p99;
    const carousels = carouselsByRow.get(row.name) ?? 0;
    const memoryCarousels = carouselsByRow.get(memory.name) ?? 0;
    return [
      {
        name: `ratio ${path} / memory ${rate}`,
        items: 0,
        seconds: 0,
        throughputPerSecond: 0,
        notes:
          `p50 ${p50.toFixed(1)}×, p99 ${p99.toFixed(1)}×; carousels per feed ${carousels.toFixed(2)} vs ` +
          `memory's ${memoryCarousels.toFixed(2)}` +
          (carousels >= 0.9 * memoryCarousels
            ? ''
            : p50 >= 1
              ? ` (a lower bound: ${path} also dropped the carousels it could not serve)`
              : ` (NOT COMPARABLE: ${path} answered sooner by dropping the carousels it could not serve)`),
      },
    ];
  });
}

async function main(): Promise<void> {
  const stack = new Stack();
  const freshnessRows: BenchRow[] = [];
  const servingRows: BenchRow[] = [];
  let failed = true;
  try {
    await stack.start();
    for (const path of paths) {
      console.error(`[bench] ${path}: starting feed-api`);
      const feed = await stack.feedApi(path);
      if (values.only !== 'peer') {
        console.error(`[bench] ${path}: freshness, ${sampleCount} samples`);
        freshnessRows.push(...(await freshness(stack, feed, path)));
      }
      if (values.only !== 'freshness') {
        console.error(`[bench] ${path}: serving at ${steps.join(', ')} req/s`);
        servingRows.push(...(await serving(feed, path)));
      }
      await stack.stop(feed);
    }
    failed = false;
  } finally {
    await stack.close(failed);
  }
  const parameters = { eventsPerSecond, liveStreams, paths, sinks, rankingInProcess: true };
  if (freshnessRows.length > 0) report('freshness', { ...parameters, samples: sampleCount }, freshnessRows);
  if (servingRows.length > 0) {
    const rows = [...servingRows, ...ratios(servingRows)];
    report('peer', { ...parameters, steps, stepSeconds }, rows);
    for (const row of rows.filter((r) => r.name.startsWith('ratio')))
      console.log(`${row.name}: ${row.notes}`);
  }
  process.exit(0);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
