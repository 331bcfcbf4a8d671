import { join } from 'node:path';

import { type ExperimentsOverview } from '@crest/experiments';
import { type HomeFeedExplanation } from '@crest/feed';
import { createTestApp } from '@crest/platform/testing';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';

import { AppModule } from '../app.module';
import { loadFeedApiConfig } from '../feed-api.config';

const TOKEN = 'ops-token-for-tests-0123456789';
const PAYLOAD_FILE = join(__dirname, '../../../../../libs/experiments/payloads/home-feed.example.json');
const CONTROL = ['following', 'new-user-hot', 'for-you', 'similar-sellers', 'trending'];
const TREATMENT = ['new-user-hot', 'for-you', 'following', 'trending', 'similar-sellers'];
const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

describe('feed-api /internal/* (OpsController)', () => {
  describe('without FEED_API_OPS_TOKEN: loopback callers only', () => {
    let app: NestFastifyApplication;

    beforeAll(async () => {
      app = await createTestApp(
        AppModule.forRoot(
          loadFeedApiConfig({
            SIMULATOR_EVENTS_PER_SECOND: '3000',
            GRAPHQL_QUERY_CACHE: 'false',
            GROWTHBOOK_PAYLOAD_FILE: PAYLOAD_FILE,
          }),
        ),
      );
      // The simulator needs a moment to start streams.
      for (let i = 0; i < 50; i++) {
        const live = (await app.inject({ method: 'GET', url: '/livestreams?limit=20' })).json();
        if (live.items.length >= 20) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    afterAll(() => app.close());

    const get = (url: string, remoteAddress?: string) => app.inject({ method: 'GET', url, remoteAddress });

    it('explains a user feed: every carousel in config order, candidates with their contributions', async () => {
      const response = await get('/internal/explain?userId=ops-user-1');
      expect(response.statusCode).toBe(200);
      const body = response.json<HomeFeedExplanation>();

      expect(body).toMatchObject({
        userId: 'ops-user-1',
        user: { newUser: true, followedSellers: [], categoryAffinities: {}, hasEmbedding: false },
        // New users are outside the example payload's experiment.
        experiments: { configSource: 'growthbook', assignments: [] },
        totalMs: expect.any(Number),
      });
      expect(body.carousels.map((c) => c.id)).toEqual(CONTROL);
      expect(body.carousels.filter((c) => c.status === 'gated').map((c) => c.id)).toEqual([
        'following',
        'for-you',
        'similar-sellers',
      ]);
      // new-user-hot needs 3 auctions or giveaways live: the young simulation may not have them yet.
      const hotCarousel = body.carousels[1]!;
      expect(hotCarousel.shown).toBe(hotCarousel.status === 'ok');
      expect(body.carousels[4]).toMatchObject({ status: 'ok', shown: true });
      const trending = body.carousels.find((c) => c.id === 'trending')!;
      expect(trending).toMatchObject({
        title: 'Trending',
        rankingFallback: null,
        model: { id: 'home', version: 1 },
        servedBy: { retrieval: 'memory', ranking: 'in-process' },
      });
      const shown = trending.candidates.filter((c) => c.shown);
      expect(shown.length).toBeGreaterThan(0);
      for (const candidate of shown) {
        expect(candidate.contributions).toHaveProperty('bias');
        expect(sum(candidate.contributions)).toBeCloseTo(candidate.score!, 6);
        expect(candidate.features).toHaveProperty('hotness');
      }
      // Streams shown higher (in new-user-hot) are there too, marked.
      const hot = new Set(body.carousels[1]!.candidates.filter((c) => c.shown).map((c) => c.livestreamId));
      for (const candidate of trending.candidates.filter((c) => hot.has(c.livestreamId)))
        expect(candidate).toMatchObject({ removedBy: 'placed-higher', shown: false });
    });

    it('serves a forced variation, and says it was forced', async () => {
      const forced = (
        await get('/internal/explain?userId=ops-user-2&force=home-feed-order:1')
      ).json<HomeFeedExplanation>();
      expect(forced.carousels.map((c) => c.id)).toEqual(TREATMENT);
      expect(forced.experiments.assignments).toEqual([
        {
          experiment: 'home-feed-order',
          variation: 'for-you-first',
          variationIndex: 1,
          inExperiment: true,
          forced: true,
        },
      ]);
      const both = await get('/internal/explain?userId=ops-user-2&force=home-feed-order:1,home-feed-order:0');
      expect(both.json<HomeFeedExplanation>().carousels.map((c) => c.id)).toEqual(CONTROL);
      const repeated = await get(
        '/internal/explain?userId=ops-user-2&force=home-feed-order:0&force=home-feed-order:1',
      );
      expect(repeated.json<HomeFeedExplanation>().carousels.map((c) => c.id)).toEqual(TREATMENT);
    });

    it('refuses a missing user id or a malformed force with 400, saying what is wrong', async () => {
      const cases: Array<[string, string]> = [
        ['/internal/explain', 'userId is required, once, 1 to 128 characters (got none)'],
        [
          `/internal/explain?userId=${'u'.repeat(129)}`,
          'userId is required, once, 1 to 128 characters (got "' + 'u'.repeat(129) + '")',
        ],
        [
          '/internal/explain?userId=u&force=home-feed-order:-1',
          'force must be <experimentKey>:<variationIndex>, the index a non-negative integer (got "home-feed-order:-1")',
        ],
        [
          '/internal/explain?userId=u&force=home-feed-order',
          'force must be <experimentKey>:<variationIndex>, the index a non-negative integer (got "home-feed-order")',
        ],
        [
          '/internal/explain?userId=u&force=home-feed-ordr:0',
          'force: no experiment "home-feed-ordr" in force (experiments: home-feed-order)',
        ],
        [
          '/internal/explain?userId=u&force=home-feed-order:2',
          'force: home-feed-order has variations 0 to 1 (got 2)',
        ],
      ];
      for (const [url, message] of cases) {
        const response = await get(url);
        expect([url, response.statusCode, response.json().message]).toEqual([url, 400, message]);
      }
    });

    it('answers only loopback callers, telling others to set FEED_API_OPS_TOKEN', async () => {
      for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1'])
        expect((await get('/internal/experiments', address)).statusCode).toBe(200);
      const remote = await get('/internal/explain?userId=u', '10.1.2.3');
      expect(remote.statusCode).toBe(403);
      expect(remote.json().message).toContain('set FEED_API_OPS_TOKEN');
    });

    it('describes the experiments in force and where they come from', async () => {
      const response = await get('/internal/experiments');
      expect(response.statusCode).toBe(200);
      const body = response.json<ExperimentsOverview>();
      expect(body).toMatchObject({
        status: { source: 'file', lastError: null, features: ['home-feed-config'] },
        homeFeedConfig: { source: 'growthbook', problems: [], lastRejection: null },
        growthbook: { apiHost: null, payloadFile: PAYLOAD_FILE },
      });
      const [rule] = body.features[0]!.rules;
      expect(rule).toMatchObject({
        kind: 'experiment',
        experimentKey: 'home-feed-order',
        hashAttribute: 'id',
      });
      expect(rule!.variations!.map((v) => [v.index, v.key, v.weight])).toEqual([
        [0, 'control', 0.5],
        [1, 'for-you-first', 0.5],
      ]);
    });
  });

  describe('with FEED_API_OPS_TOKEN: a bearer token from anywhere', () => {
    let app: NestFastifyApplication;

    beforeAll(async () => {
      app = await createTestApp(
        AppModule.forRoot(
          loadFeedApiConfig({
            FEED_API_OPS_TOKEN: TOKEN,
            SIMULATOR_ENABLED: 'false',
            GRAPHQL_QUERY_CACHE: 'false',
            GROWTHBOOK_API_HOST: 'http://127.0.0.1:9',
            GROWTHBOOK_CLIENT_KEY: 'sdk-never-shown',
            GROWTHBOOK_CACHE_FILE: '/nonexistent/growthbook.json',
          }),
        ),
      );
    });
    afterAll(() => app.close());

    it('answers 401 without the token or with another, 200 with it', async () => {
      const call = (authorization?: string) =>
        app.inject({
          method: 'GET',
          url: '/internal/experiments',
          remoteAddress: '10.1.2.3',
          headers: authorization ? { authorization } : {},
        });
      const missing = await call();
      expect([missing.statusCode, missing.json().message]).toEqual([
        401,
        'send Authorization: Bearer <FEED_API_OPS_TOKEN>',
      ]);
      expect((await call(`Bearer ${TOKEN}x`)).statusCode).toBe(401);
      expect((await call(TOKEN)).statusCode).toBe(401);

      const ok = await call(`Bearer ${TOKEN}`);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({
        status: { source: 'built-in-default' },
        // GrowthBook unreachable and nothing cached: the built-in default, and why.
        homeFeedConfig: { source: 'built-in-default', problems: [], lastRejection: 'fetch failed' },
        growthbook: { apiHost: 'http://127.0.0.1:9', payloadFile: null },
      });
      expect(ok.body).not.toContain('sdk-never-shown');
      // Loopback is no way around the token once it is set.
      expect((await app.inject({ method: 'GET', url: '/internal/experiments' })).statusCode).toBe(401);
    });

    it('refuses a short token at boot', () => {
      expect(() => loadFeedApiConfig({ FEED_API_OPS_TOKEN: 'short' })).toThrow(
        'FEED_API_OPS_TOKEN: FEED_API_OPS_TOKEN must be at least 24 characters (got ***)',
      );
    });
  });
});
