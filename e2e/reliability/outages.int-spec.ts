import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from '@elastic/elasticsearch';
import { build } from 'hdr-histogram-js';

import { AppProcess, eventually, FeedApiProcess, payloadWithBudgets } from '../app-process';
import { OutageProxy } from '../outage-proxy';

const elasticsearchUrl = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';
const FEED_PORT = 29_761;
const RANKING_HTTP_PORT = 29_762;
const RANKING_GRPC_PORT = 29_763;
const ELASTICSEARCH_PROXY_PORT = 29_764;
const GROWTHBOOK_PORT = 29_765;
const CLIENT_KEY = 'sdk-outage-test';
const MARKER = 'Trending (from GrowthBook)';
const RATE_PER_SECOND = 40;

interface CarouselNode {
  id: string;
  title: string;
  servedBy: { retrieval: string | null; retrievalReason: string | null; ranking: string | null };
  items: { edges: Array<{ node: { id: string } }> };
}
const HOME = `{ homeFeed(first: 10) { edges { node {
  id title servedBy { retrieval retrievalReason ranking } items { edges { node { id } } }
} } } }`;

/** A GrowthBook API stand-in serving one payload at /api/features/<client key>, until it is closed. */
async function growthBook(payload: string): Promise<HttpServer> {
  const server = createHttpServer((request, response) => {
    if (request.url !== `/api/features/${CLIENT_KEY}`) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(payload);
  });
  await new Promise<void>((resolve) => server.listen(GROWTHBOOK_PORT, '127.0.0.1', resolve));
  return server;
}

/**
 * feed-api (embedded marketplace, indexing into Elasticsearch) with Elasticsearch as every carousel's
 * primary backend and memory as the fallback, ranking over gRPC by the ranking-service, and its config
 * from GrowthBook, under a steady homeFeed load. Elasticsearch, the ranking-service and GrowthBook go away
 * in turn: no request may fail, answers must stay within the request budget, and each part's way of
 * degrading (fallback and circuit, retrieval order, last good config) must show.
 */
describe('outages under load: Elasticsearch, the ranking-service and GrowthBook go away in turn', () => {
  const alias = `crest-e2e-outage-${randomUUID().slice(0, 8)}`;
  const cacheFile = join(tmpdir(), `${alias}-growthbook.json`);
  const payloadFile = join(tmpdir(), `${alias}-payload.json`);
  const es = new Client({ node: elasticsearchUrl });
  const proxy = OutageProxy.for(elasticsearchUrl, ELASTICSEARCH_PROXY_PORT);
  let gb: HttpServer | undefined;
  let ranking: AppProcess | undefined;
  let feed: FeedApiProcess | undefined;

  afterAll(async () => {
    await feed?.stop();
    await ranking?.stop();
    await proxy.down();
    await new Promise((resolve) => (gb?.listening ? gb.close(resolve) : resolve(undefined)));
    rmSync(cacheFile, { force: true });
    rmSync(payloadFile, { force: true });
    await es.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
    await es.indices.deleteIndexTemplate({ name: `${alias}-template` }).catch(() => undefined);
    await es.close();
  });

  /**
   * The example payload, Elasticsearch primary and memory fallback, one marked title, and budgets roomy
   * enough that CPU contention on a shared CI machine (other suites run alongside) does not drop carousels
   * on its own: an outage here is a refused connection, answered at once, not a timeout.
   */
  function payload(): string {
    const example = JSON.parse(readFileSync(payloadWithBudgets(payloadFile), 'utf8')) as object;
    return JSON.stringify(example, (key, value: unknown) => {
      if (key === 'budgetMs') return 1_500;
      if (key === 'requestBudgetMs') return 2_000;
      if (key === 'primary' && value === 'memory') return 'elasticsearch';
      if (key === 'fallback' && value === 'elasticsearch') return 'memory';
      if (key === 'title' && value === 'Trending') return MARKER;
      return value;
    });
  }

  const startFeed = () =>
    FeedApiProcess.startFeedApi(FEED_PORT, {
      SIMULATOR_EVENTS_PER_SECOND: '300',
      SIMULATOR_LIVE_STREAMS: '200',
      RATE_LIMIT_PER_SECOND: '0',
      ELASTICSEARCH_URL: `http://127.0.0.1:${ELASTICSEARCH_PROXY_PORT}`,
      ELASTICSEARCH_INDEX_ALIAS: alias,
      RANKING_GRPC_URL: `127.0.0.1:${RANKING_GRPC_PORT}`,
      GROWTHBOOK_API_HOST: `http://127.0.0.1:${GROWTHBOOK_PORT}`,
      GROWTHBOOK_CLIENT_KEY: CLIENT_KEY,
      GROWTHBOOK_REFRESH_MS: '1000',
      GROWTHBOOK_CACHE_FILE: cacheFile,
    });
  const startRanking = () =>
    AppProcess.start('ranking-service', RANKING_HTTP_PORT, { RANKING_GRPC_PORT: String(RANKING_GRPC_PORT) });
  const circuit = async () =>
    feed!.metric(/^crest_retrieval_circuit_state\{backend="elasticsearch"\} (\d+)$/m);

  /** homeFeed at a fixed rate (a request every 1/rate s, whether or not the last one answered). */
  function load() {
    const answers: Array<{
      phase: string;
      ms: number;
      status: number;
      errors: number;
      carousels: CarouselNode[];
    }> = [];
    let phase = 'warm';
    let sent = 0;
    const inFlight = new Set<Promise<void>>();
    const timer = setInterval(() => {
      const user = sent++ % 2 === 0 ? `outage-user-${sent % 50}` : undefined; // returning users and new ones
      const started = performance.now();
      const at = phase;
      const request: Promise<void> = fetch(`${feed!.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(user ? { 'x-crest-user-id': user } : {}) },
        body: JSON.stringify({ query: HOME }),
      })
        .then(async (response) => {
          const body = (await response.json()) as {
            data?: { homeFeed: { edges: Array<{ node: CarouselNode }> } };
            errors?: unknown[];
          };
          answers.push({
            phase: at,
            ms: performance.now() - started,
            status: response.status,
            errors: body.errors?.length ?? 0,
            carousels: body.data?.homeFeed.edges.map((e) => e.node) ?? [],
          });
        })
        .catch(
          () =>
            void answers.push({
              phase: at,
              ms: performance.now() - started,
              status: 0,
              errors: 1,
              carousels: [],
            }),
        )
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
    }, 1_000 / RATE_PER_SECOND);
    return {
      answers,
      phase: (name: string) => (phase = name),
      stop: async () => {
        clearInterval(timer);
        await Promise.all(inFlight);
      },
    };
  }

  it('answers every request, from the fallback, in retrieval order, on the last good config', async () => {
    gb = await growthBook(payload());
    ranking = await startRanking();
    await proxy.up();
    feed = await startFeed();
    await eventually(
      'carousels served by Elasticsearch, ranked over gRPC, on the GrowthBook config',
      async () => {
        const answer = await feed!.graphql<{ homeFeed: { edges: Array<{ node: CarouselNode }> } }>(
          HOME,
          {},
          'outage-user-1',
        );
        const carousels = answer.data?.homeFeed.edges.map((e) => e.node) ?? [];
        return carousels.some(
          (c) => c.servedBy.retrieval === 'elasticsearch' && c.servedBy.ranking === 'grpc',
        ) && carousels.some((c) => c.title === MARKER)
          ? true
          : undefined;
      },
      60_000,
      250,
    );

    const traffic = load();
    const phases: Record<string, number> = {};
    const mark = (name: string) => {
      traffic.phase(name);
      phases[name] = Date.now();
    };
    try {
      await sleep(3_000);

      mark('elasticsearch down');
      await proxy.down();
      await eventually(
        'the Elasticsearch circuit to open',
        async () => ((await circuit()) === 2 ? true : undefined),
        20_000,
        100,
      );
      await sleep(3_000);
      mark('elasticsearch back');
      await proxy.up();
      await eventually(
        'the Elasticsearch circuit to close again',
        async () => ((await circuit()) === 0 ? true : undefined),
        30_000,
        100,
      );
      await sleep(2_000);

      mark('ranking-service down');
      await ranking.kill();
      await sleep(5_000);
      mark('ranking-service back');
      ranking = await startRanking();
      // The gRPC channel reconnects with a backoff of its own.
      await eventually(
        'ranking over gRPC again',
        async () => {
          const answer = await feed!.graphql<{ homeFeed: { edges: Array<{ node: CarouselNode }> } }>(
            HOME,
            {},
            'outage-user-2',
          );
          return answer.data?.homeFeed.edges.every((e) => e.node.servedBy.ranking === 'grpc')
            ? true
            : undefined;
        },
        60_000,
        250,
      );
      await sleep(1_000);

      mark('growthbook down');
      await new Promise((resolve) => gb!.close(resolve));
      await sleep(3_000);
    } finally {
      await traffic.stop();
    }

    const { answers } = traffic;
    const of = (phase: string) => answers.filter((a) => a.phase === phase);
    // Not one failed request, through every outage.
    const failed = answers.filter((a) => a.status !== 200 || a.errors > 0 || a.carousels.length === 0);
    for (const a of failed.slice(0, 5))
      process.stderr.write(`failed request: ${JSON.stringify({ ...a, carousels: a.carousels.length })}\n`);
    expect({ failed: failed.length, of: answers.length }).toEqual({ failed: 0, of: answers.length });
    expect(answers.length).toBeGreaterThan(RATE_PER_SECOND * 15);
    const histogramOf = (list: typeof answers) => {
      const histogram = build();
      for (const a of list) histogram.recordValue(Math.max(1, Math.round(a.ms)));
      return histogram;
    };
    process.stdout.write(
      `outage test: ${answers.length} requests at ${RATE_PER_SECOND}/s, ${failed.length} failed; ms p50/p99/max: ` +
        ['warm', ...Object.keys(phases)]
          .map((p) => {
            const h = histogramOf(of(p));
            return `${p} (${of(p).length}) ${h.getValueAtPercentile(50)}/${h.getValueAtPercentile(99)}/${h.maxValue}`;
          })
          .join(', ') +
        '\n',
    );
    // Elasticsearch down: answered from the fallback within the request budget (2 s, set in payload()).
    expect(histogramOf(of('elasticsearch down')).getValueAtPercentile(99)).toBeLessThan(2_000);

    // Elasticsearch down: every carousel from memory, saying why.
    const duringEs = of('elasticsearch down').slice(RATE_PER_SECOND); // after the first second's in-flight ones
    expect(duringEs.length).toBeGreaterThan(0);
    for (const a of duringEs)
      for (const c of a.carousels)
        expect([c.servedBy.retrieval, c.servedBy.retrievalReason?.startsWith('fallback-')]).toEqual([
          'memory',
          true,
        ]);
    // Back: the circuit closed (waited for above) and Elasticsearch served as primary again.
    expect(
      of('elasticsearch back').some((a) =>
        a.carousels.some(
          (c) => c.servedBy.retrieval === 'elasticsearch' && c.servedBy.retrievalReason === 'primary',
        ),
      ),
    ).toBe(true);

    // Ranking-service down: retrieval order, marked as such.
    const duringRanking = of('ranking-service down').slice(RATE_PER_SECOND);
    expect(duringRanking.length).toBeGreaterThan(0);
    for (const a of duringRanking)
      for (const c of a.carousels) expect(c.servedBy.ranking).toBe('retrieval-order');
    expect(
      of('ranking-service back').some((a) => a.carousels.every((c) => c.servedBy.ranking === 'grpc')),
    ).toBe(true);

    // GrowthBook down: the last good config (its marked title) stays in force.
    for (const a of of('growthbook down')) expect(a.carousels.some((c) => c.title === MARKER)).toBe(true);

    // And a feed-api started while GrowthBook is down serves the payload it cached on disk.
    await feed.stop();
    feed = await startFeed();
    const overview = await feed.get<{ status: { source: string; lastError: string | null } }>(
      '/internal/experiments',
    );
    expect(overview.status.source).toBe('disk-cache');
    const afterRestart = await feed.graphql<{ homeFeed: { edges: Array<{ node: CarouselNode }> } }>(
      HOME,
      {},
      'outage-user-1',
    );
    expect(afterRestart.errors).toBeUndefined();
    expect(afterRestart.data!.homeFeed.edges.some((e) => e.node.title === MARKER)).toBe(true);
  }, 240_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
