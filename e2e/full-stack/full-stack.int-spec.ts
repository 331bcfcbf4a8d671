import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { KafkaEventBus } from '@crest/messaging';
import {
  encodeSimulatedItem,
  makeEvent as exampleEvent,
  MarketplaceSimulator,
  SIMULATED_CATEGORIES,
} from '@crest/testing';
import { Client } from '@elastic/elasticsearch';
import { Pool } from 'pg';

import { AppProcess, eventually, FeedApiProcess, payloadWithBudgets } from '../app-process';
import { OutageProxy } from '../outage-proxy';

/**
 * The whole stack as separate processes on real Kafka and Elasticsearch, the way production runs it:
 * the simulator publishes the marketplace to Kafka; the event-ingestor turns it into docs on the state
 * topic and in Elasticsearch; feed-api serves from its memory replica of the state topic, Elasticsearch
 * as every carousel's fallback, ranking over gRPC by the ranking-service; admin steers the backends.
 * Everything is asserted through GraphQL: a stream going live, a bid wave and a stream ending reach the
 * feed within the freshness goals, and the feed keeps answering while Elasticsearch and the
 * ranking-service go away in turn. Elasticsearch goes away through a proxy in front of it, for the
 * ingestor and feed-api alike, so the real server stays up for the other suites.
 */
const brokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const elasticsearchUrl = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';
const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const INGESTOR_PORT = 29_771;
const RANKING_HTTP_PORT = 29_772;
const RANKING_GRPC_PORT = 29_773;
const FEED_PORT = 29_774;
const ELASTICSEARCH_PROXY_PORT = 29_775;
const ADMIN_PORT = 29_776;

/** The goals (docs/performance.md): produced → visible in homeFeed, p99. */
const MEMORY_FRESHNESS_GOAL_MS = 300;
const ELASTICSEARCH_FRESHNESS_GOAL_MS = 1_500;
/**
 * What one sample may take here before the test fails: the goals are p99s on a quiet machine, and a CI
 * machine runs this beside Kafka, Elasticsearch and four apps on two cores. The samples are printed, so a
 * regression shows long before it fails.
 */
const MEMORY_SAMPLE_BOUND_MS = 1_000;
const ELASTICSEARCH_SAMPLE_BOUND_MS = 2_500;

const run = randomUUID().slice(0, 8);
const alias = `crest-e2e-full-${run}`;
const adminSchema = `crest_admin_full_${run}`;
const OPERATOR = `operator-${run}-0123456789abcdef`;
const VIEWER = `viewer-${run}-0123456789abcdef`;
const OPS_TOKEN = `ops-${run}-0123456789abcdef0123`;

interface Card {
  id: string;
  status: string;
}
interface CarouselNode {
  id: string;
  servedBy: { retrieval: string | null; retrievalReason: string | null; ranking: string | null };
  items: { edges: Array<{ node: Card }> };
}
const HOME = `{ homeFeed(first: 10) { edges { node {
  id servedBy { retrieval retrievalReason ranking } items { edges { node { id status } } }
} } } }`;

const now = () => new Date().toISOString();
/**
 * An event with an id of its own: makeEvent's ids repeat from process to process, and on a broker shared
 * with earlier runs the ingestor would drop a repeated id as a duplicate.
 */
const makeEvent: typeof exampleEvent = (type, overrides = {}) =>
  exampleEvent(type, { eventId: randomUUID(), ...overrides });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('full stack on real Kafka and Elasticsearch, asserted through GraphQL', () => {
  const bus = new KafkaEventBus({
    brokers: brokers.split(','),
    clientId: `e2e-full-${run}`,
    createTopics: true,
  });
  const proxy = OutageProxy.for(elasticsearchUrl, ELASTICSEARCH_PROXY_PORT);
  const es = new Client({ node: elasticsearchUrl });
  const payloadFile = join(tmpdir(), `${alias}.json`);
  const samples: Record<string, number[]> = {};
  let ingestor: AppProcess;
  let ranking: AppProcess;
  let feed: FeedApiProcess;
  let admin: AppProcess;
  let producing: NodeJS.Timeout | undefined;
  let lastProduce: Promise<void> = Promise.resolve();
  const categoryId = SIMULATED_CATEGORIES[0];

  const publish = (events: MarketplaceEvent[]) =>
    bus.publish(events.map((event) => encodeSimulatedItem({ kind: 'event', event })));
  const homeFeedOf = async (user: string): Promise<CarouselNode[]> => {
    const answer = await feed.graphql<{ homeFeed: { edges: Array<{ node: CarouselNode }> } }>(HOME, {}, user);
    if (answer.errors) throw new Error(JSON.stringify(answer.errors));
    return answer.data!.homeFeed.edges.map((e) => e.node);
  };
  /**
   * Whether `livestreamId` is anywhere in the user's feed. Not one carousel in particular: the A/B test
   * orders carousels per variation, and a stream sits only in the highest carousel that has it.
   */
  const feedHas = async (user: string, livestreamId: string) =>
    (await homeFeedOf(user)).some((c) => c.items.edges.some((e) => e.node.id === livestreamId));
  const status = (livestreamId: string, sellerId: string, to: 'live' | 'ended') =>
    makeEvent(EventType.LivestreamStatusChanged, {
      livestreamId,
      sellerId,
      occurredAt: now(),
      payload: {
        status: to,
        title: 'e2e full stack: a stream that just went live',
        categoryIds: [categoryId],
        scheduledStartAt: now(),
        thumbnailUrl: 'https://img.example.com/e2e.jpg',
      },
    } as never) as MarketplaceEvent;
  /** The ingestor's sink, lag and rebuild figures and both apps' last log lines, for a failure message. */
  const stackState = async () =>
    (await fetch(`${ingestor.url}/metrics`).then((r) => r.text()))
      .split('\n')
      .filter((line) => /^crest_ingest_(sink|consumer_lag|rebuild_seconds|docs_emitted)/.test(line))
      .filter((line) => !line.includes('_bucket') && !/_lag\{.*\} 0$/.test(line))
      .join('; ') +
    `\n--- ingestor log:\n${ingestor.log.slice(-1_500)}\n--- feed-api log:\n${feed.log.slice(-3_000)}`;
  /** `eventually`, whose timeout also says what the stack looked like (and `explain`, when given). */
  const waitFor = (
    what: string,
    probe: () => Promise<boolean>,
    timeoutMs: number,
    pollMs: number,
    explain: () => Promise<string> = async () => '',
  ) =>
    eventually(what, async () => ((await probe()) ? true : undefined), timeoutMs, pollMs).catch(
      async (error: Error) => {
        throw new Error(`${error.message}${await explain()}; the stack: ${await stackState()}`);
      },
    );
  /** Milliseconds from publishing `events` until `visible()` holds (polled as fast as the feed answers). */
  const timeUntil = async (
    what: string,
    events: MarketplaceEvent[],
    visible: () => Promise<boolean>,
    timeoutMs: number,
  ) => {
    const started = Date.now();
    await publish(events);
    await waitFor(what, visible, timeoutMs, 10);
    const ms = Date.now() - started;
    (samples[what] ??= []).push(ms);
    return ms;
  };
  /** feed-api's explanation of a user's home feed: what it knows of the user, and each carousel's fate. */
  const explain = async (userId: string) => {
    const response = await fetch(`${feed.url}/internal/explain?userId=${userId}`, {
      headers: { authorization: `Bearer ${OPS_TOKEN}` },
    });
    if (!response.ok) throw new Error(`explain answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as { user: { newUser: boolean; followedSellers: string[] } };
  };
  /** A returning user following a seller of their own, once that seller's streams reach their feed. */
  const follower = async () => {
    const userId = randomUUID();
    const sellerId = randomUUID();
    const livestreamId = randomUUID();
    await publish([
      makeEvent(EventType.UserFollowedSeller, { userId, sellerId, occurredAt: now() }) as MarketplaceEvent,
      makeEvent(EventType.UserFollowedCategory, {
        userId,
        occurredAt: now(),
        payload: { categoryId },
      }) as MarketplaceEvent,
    ]);
    // The follow reached feed-api (ingestor → user signals topic → its replica). Read from the explanation,
    // not from a returning-user carousel showing: one needs enough live streams of its own to show at all.
    await waitFor(
      `${userId}'s follow of ${sellerId} to reach feed-api`,
      async () => (await explain(userId)).user.followedSellers.includes(sellerId),
      30_000,
      100,
      async () => ` (user signals: ${JSON.stringify((await explain(userId)).user)})`,
    );
    await publish([status(livestreamId, sellerId, 'live')]);
    await waitFor(
      "the followed seller's first stream in the feed",
      () => feedHas(userId, livestreamId),
      30_000,
      100,
      async () =>
        ` (stream ${livestreamId}); feed-api explains: ${JSON.stringify(await explain(userId)).slice(0, 600)}`,
    );
    return { userId, sellerId };
  };
  /**
   * `rounds` streams of the follower's seller go live and end; each must show and go. The worst sample,
   * which must stay within `boundMs`.
   */
  const liveAndEnded = async (
    path: string,
    follower: { userId: string; sellerId: string },
    rounds: number,
    boundMs: number,
    goalMs: number,
  ) => {
    const taken: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const livestreamId = randomUUID();
      const inFeed = () => feedHas(follower.userId, livestreamId);
      const live = [status(livestreamId, follower.sellerId, 'live')];
      taken.push(await timeUntil(`${path}: live → in the feed`, live, inFeed, boundMs * 10));
      const ended = [status(livestreamId, follower.sellerId, 'ended')];
      const gone = async () => !(await inFeed());
      taken.push(await timeUntil(`${path}: ended → out of the feed`, ended, gone, boundMs * 10));
    }
    const worst = Math.max(...taken);
    process.stdout.write(`${path} path worst sample ${worst} ms (goal p99 ≤ ${goalMs} ms)\n`);
    expect(worst).toBeLessThanOrEqual(boundMs);
  };
  const switchBackend = async (backend: string, state: 'on' | 'off') => {
    const response = await fetch(`${admin.url}/api/backends/${backend}/switch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      body: JSON.stringify({ state, reason: `e2e full stack: ${backend} ${state}` }),
    });
    expect(response.status).toBeLessThan(300);
  };
  const inElasticsearch = async (livestreamId: string) => {
    const found = await es.search({ index: alias, query: { ids: { values: [livestreamId] } } });
    return found.hits.hits.length > 0;
  };
  const startRanking = () =>
    AppProcess.start('ranking-service', RANKING_HTTP_PORT, { RANKING_GRPC_PORT: String(RANKING_GRPC_PORT) });

  beforeAll(async () => {
    await proxy.up();
    const simulator = new MarketplaceSimulator({
      seed: 9_500 + Math.floor(Math.random() * 1_000_000),
      eventsPerSecond: 100,
      targetLiveStreams: 60,
      sellers: 100,
      users: 500,
      startTime: Date.now(),
    });
    await bus.publish(
      simulator.initialFollowEvents().map((event) => encodeSimulatedItem({ kind: 'event', event })),
    );
    const produce = async () => {
      const items = simulator.advance(Math.max(0, Date.now() - simulator.now()));
      if (items.length > 0) await bus.publish(items.map(encodeSimulatedItem)).catch(() => undefined);
    };
    await produce();
    producing = setInterval(() => {
      lastProduce = produce();
    }, 200);

    const groupId = `crest.e2e-full.${run}`;
    const elasticsearch = { ELASTICSEARCH_URL: proxy.url, ELASTICSEARCH_INDEX_ALIAS: alias };
    ingestor = await AppProcess.start('event-ingestor', INGESTOR_PORT, {
      KAFKA_BROKERS: brokers,
      ...elasticsearch,
      INGEST_GROUP_ID: groupId,
    });
    ranking = await startRanking();
    feed = await FeedApiProcess.startFeedApi(FEED_PORT, {
      KAFKA_BROKERS: brokers,
      ...elasticsearch,
      RANKING_GRPC_URL: `127.0.0.1:${RANKING_GRPC_PORT}`,
      GROWTHBOOK_PAYLOAD_FILE: payloadWithBudgets(payloadFile),
      FEED_API_OPS_TOKEN: OPS_TOKEN,
      RATE_LIMIT_PER_SECOND: '0',
    });
    admin = await AppProcess.start('admin', ADMIN_PORT, {
      KAFKA_BROKERS: brokers,
      ADMIN_VIEWER_TOKEN: VIEWER,
      ADMIN_OPERATOR_TOKEN: OPERATOR,
      ADMIN_DATABASE_URL: databaseUrl,
      ADMIN_DATABASE_SCHEMA: adminSchema,
      ADMIN_FEED_API_URLS: feed.url,
      ADMIN_INGESTOR_URL: ingestor.url,
      FEED_API_OPS_TOKEN: OPS_TOKEN,
      INGEST_GROUP_ID: groupId,
    });
    // Earlier suites leave events on the shared topics: measure once the ingestor is live on the present.
    await eventually('the ingestor to catch up', () => ingestor.ingestCaughtUp(), 180_000, 500);
    const live = await eventually(
      'a feed ranked over gRPC from the memory replica',
      async () => {
        const carousels = await homeFeedOf(randomUUID());
        return carousels.length > 0 &&
          carousels.every((c) => c.servedBy.retrieval === 'memory' && c.servedBy.ranking === 'grpc')
          ? carousels
          : undefined;
      },
      60_000,
      250,
    );
    expect(live.length).toBeGreaterThan(0);
  }, 300_000);

  afterAll(async () => {
    clearInterval(producing);
    await lastProduce;
    for (const app of [admin, feed, ranking, ingestor]) await app?.stop();
    await proxy.down();
    await bus.close();
    rmSync(payloadFile, { force: true });
    await es.indices.delete({ index: `${alias}-*`, ignore_unavailable: true }).catch(() => undefined);
    await es.indices.deleteIndexTemplate({ name: `${alias}-template` }).catch(() => undefined);
    await es.close();
    const pool = new Pool({ connectionString: databaseUrl });
    await pool.query(`DROP SCHEMA IF EXISTS ${adminSchema} CASCADE`);
    await pool.end();
    for (const [what, ms] of Object.entries(samples))
      process.stdout.write(`full stack, ${what}: ${ms.join(', ')} ms\n`);
  }, 60_000);

  it('shows a stream that goes live, from the memory replica, within the freshness goal, and drops it when it ends', async () => {
    await liveAndEnded('memory', await follower(), 5, MEMORY_SAMPLE_BOUND_MS, MEMORY_FRESHNESS_GOAL_MS);
  }, 120_000);

  it("lifts a quiet stream into a new user's feed (trending, hot right now) with a bid wave", async () => {
    const sellerId = randomUUID();
    const livestreamId = randomUUID();
    const viewer = randomUUID(); // a new user: their carousels (trending, hot right now) follow waves
    await publish([status(livestreamId, sellerId, 'live')]);
    // Live but quiet: not in a new user's feed yet.
    await sleep(2_000);
    expect(await feedHas(viewer, livestreamId)).toBe(false);
    const bidders = Array.from({ length: 150 }, () => randomUUID());
    const wave = bidders.flatMap((userId, i) => [
      makeEvent(EventType.ViewerJoined, { livestreamId, userId, occurredAt: now() }) as MarketplaceEvent,
      makeEvent(EventType.BidPlaced, {
        livestreamId,
        userId,
        sellerId,
        occurredAt: now(),
        payload: {
          auctionId: randomUUID(),
          productId: randomUUID(),
          amount: { amountMinor: 1_000 + i * 100, currency: 'USD' },
        },
      }) as MarketplaceEvent,
    ]);
    const ms = await timeUntil(
      "memory: bid wave → in a new user's feed",
      wave,
      () => feedHas(viewer, livestreamId),
      10_000,
    );
    expect(ms).toBeLessThanOrEqual(MEMORY_SAMPLE_BOUND_MS);
    await publish([status(livestreamId, sellerId, 'ended')]);
  }, 60_000);

  it('serves the same freshness from Elasticsearch when admin switches the memory backend off', async () => {
    const user = await follower();
    const { userId } = user;
    await switchBackend('memory', 'off');
    try {
      await eventually(
        'every carousel served by Elasticsearch',
        async () => {
          const carousels = await homeFeedOf(userId);
          return carousels.length > 0 && carousels.every((c) => c.servedBy.retrieval === 'elasticsearch')
            ? true
            : undefined;
        },
        20_000,
        100,
      );
      await liveAndEnded(
        'elasticsearch',
        user,
        3,
        ELASTICSEARCH_SAMPLE_BOUND_MS,
        ELASTICSEARCH_FRESHNESS_GOAL_MS,
      );
    } finally {
      await switchBackend('memory', 'on');
    }
    await eventually(
      'memory serving again',
      async () =>
        (await homeFeedOf(userId)).every((c) => c.servedBy.retrieval === 'memory') ? true : undefined,
      20_000,
      100,
    );
  }, 120_000);

  it('keeps the feed answering and fresh while Elasticsearch is away, and catches the index up after', async () => {
    const { userId, sellerId } = await follower();
    const livestreamId = randomUUID();
    await proxy.down();
    try {
      // The state topic does not wait for Elasticsearch: the memory path stays fresh.
      await timeUntil(
        'Elasticsearch away: live → in the feed',
        [status(livestreamId, sellerId, 'live')],
        () => feedHas(userId, livestreamId),
        10_000,
      );
      for (let i = 0; i < 20; i++) {
        const carousels = await homeFeedOf(i % 2 === 0 ? userId : randomUUID());
        expect(carousels.length).toBeGreaterThan(0);
        await sleep(100);
      }
      await eventually(
        'the ingestor to report failed Elasticsearch writes',
        async () =>
          (await ingestor.metric(/^crest_ingest_sink_errors_total\{sink="elasticsearch"\} (\d+)$/m)) > 0
            ? true
            : undefined,
        20_000,
        250,
      );
    } finally {
      await proxy.up();
    }
    // What the index missed is written once it is back (the failed emission is retried).
    await eventually(
      'the stream that went live meanwhile in Elasticsearch',
      async () => ((await inElasticsearch(livestreamId)) ? true : undefined),
      30_000,
      250,
    );
  }, 90_000);

  it('ranks in retrieval order while the ranking-service is away, and over gRPC again once it is back', async () => {
    await ranking.kill();
    const during = await eventually(
      'carousels in retrieval order',
      async () => {
        const carousels = await homeFeedOf(randomUUID());
        return carousels.length > 0 && carousels.every((c) => c.servedBy.ranking === 'retrieval-order')
          ? carousels
          : undefined;
      },
      20_000,
      100,
    );
    for (const carousel of during) expect(carousel.items.edges.length).toBeGreaterThan(0);
    ranking = await startRanking();
    await eventually(
      'ranking over gRPC again',
      async () =>
        (await homeFeedOf(randomUUID())).every((c) => c.servedBy.ranking === 'grpc') ? true : undefined,
      60_000,
      250,
    );
  }, 120_000);
});
