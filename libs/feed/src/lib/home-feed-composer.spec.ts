import { type CarouselConfig, DEFAULT_HOME_FEED_CONFIG, type HomeFeedConfig } from '@crest/experiments';
import { InProcessRanker, type Ranker, type RankRequest } from '@crest/ranking';
import {
  GuardedBackend,
  LivestreamIndex,
  MemoryRetriever,
  type Retriever,
  toRetrievedDoc,
} from '@crest/retrieval';
import { FaultyRetriever, livestreamDocFixture } from '@crest/retrieval/testing';

import { type FeedUser } from './feed-context';
import { HomeFeedComposer } from './home-feed-composer';
import { explainHomeFeed } from './home-feed-explanation';

const NOW = Date.parse('2026-11-24T12:00:00.000Z');
const LATER = new Date(NOW + 60_000).toISOString();

function docs() {
  const streams = [];
  // Followed seller f1: two calm streams. Everyone else: a spread of momentum, some with auctions.
  streams.push(
    livestreamDocFixture({
      livestreamId: 'f1-a',
      sellerId: 'f1',
      momentum: 1,
      hotness: 2,
      categoryIds: ['cards'],
    }),
  );
  streams.push(
    livestreamDocFixture({
      livestreamId: 'f1-b',
      sellerId: 'f1',
      momentum: 1.1,
      hotness: 1,
      categoryIds: ['cards'],
    }),
  );
  for (let i = 0; i < 30; i++)
    streams.push(
      livestreamDocFixture({
        livestreamId: `s${String(i).padStart(2, '0')}`,
        sellerId: `seller-${i}`,
        momentum: 1 + (i % 7) * 0.3,
        hotness: 1 + (i % 5),
        categoryIds: [i % 2 ? 'cards' : 'sneakers'],
        auction:
          i % 3 === 0
            ? {
                auctionId: `a${i}`,
                productId: 'p',
                currentBidMinor: 100,
                currency: 'USD',
                endsAt: LATER,
                bids: 2,
              }
            : null,
        seller: { score: 0.6 + (i % 4) * 0.1, embedding: [1, i % 3, 0] },
      }),
    );
  return streams;
}

const returning: FeedUser = {
  userId: 'user-1',
  newUser: false,
  followedSellers: ['f1'],
  categoryAffinities: { cards: 2 },
  embedding: [1, 0, 0],
};
const newcomer: FeedUser = {
  userId: 'user-2',
  newUser: true,
  followedSellers: [],
  categoryAffinities: {},
  embedding: null,
};

const carousel = (overrides: Partial<CarouselConfig> & Pick<CarouselConfig, 'id'>): CarouselConfig => ({
  ...DEFAULT_HOME_FEED_CONFIG.carousels.find((c) => c.id === overrides.id)!,
  ...overrides,
});

describe('HomeFeedComposer', () => {
  let index: LivestreamIndex;
  let elasticsearchStandIn: FaultyRetriever;
  let memory: GuardedBackend;
  let composer: HomeFeedComposer;
  const ranker = new InProcessRanker();

  const build = (rankerOverride: Ranker = ranker) =>
    new HomeFeedComposer({
      backends: { memory, elasticsearch: new GuardedBackend(elasticsearchStandIn) },
      ranker: rankerOverride,
      trackingSecret: 'test-secret',
    });

  beforeEach(async () => {
    index = new LivestreamIndex();
    await index.write({ upserts: docs(), deletions: [] });
    memory = new GuardedBackend(new MemoryRetriever(index));
    // Stands in for Elasticsearch: another backend answering from the same docs.
    elasticsearchStandIn = new FaultyRetriever(new MemoryRetriever(index), 'elasticsearch');
    composer = build();
  });

  it('shows a returning user the followed sellers first, then the rest, without duplicates', async () => {
    const feed = await composer.compose(DEFAULT_HOME_FEED_CONFIG, { user: returning, now: NOW });

    expect(feed.carousels.map((c) => c.id)).toEqual(['following', 'for-you', 'similar-sellers', 'trending']);
    expect(feed.carousels[0]!.items.map((i) => i.livestreamId)).toEqual(['f1-a', 'f1-b']);
    expect(feed.carousels[0]!.items[0]!.reason).toBe('Live from a seller you follow');
    const all = feed.carousels.flatMap((c) => c.items.map((i) => i.livestreamId));
    expect(new Set(all).size).toBe(all.length);
    expect(feed.omitted).toEqual([expect.objectContaining({ id: 'new-user-hot', status: 'gated' })]);
    expect(feed.carousels.find((c) => c.id === 'for-you')!.filtered['placed-higher']).toBe(2);
  });

  it('gives a new user the new-user carousel and nothing that needs history', async () => {
    const feed = await composer.compose(DEFAULT_HOME_FEED_CONFIG, { user: newcomer, now: NOW });

    expect(feed.carousels.map((c) => c.id)).toEqual(['new-user-hot', 'trending']);
    const hot = feed.carousels[0]!;
    expect(hot.items.length).toBeGreaterThanOrEqual(3);
    expect(hot.items.every((i) => i.doc.auction !== null)).toBe(true);
    expect(hot.servedBy).toEqual({ retrieval: 'memory', retrievalReason: 'primary', ranking: 'in-process' });
  });

  it('never serves a stream twice across pages of a session', async () => {
    const served: string[] = [];
    for (let page = 0; page < 4; page++) {
      const feed = await composer.compose(DEFAULT_HOME_FEED_CONFIG, {
        user: returning,
        now: NOW,
        excludedIds: served,
      });
      served.push(...feed.carousels.flatMap((c) => c.items.map((i) => i.livestreamId)));
    }
    expect(new Set(served).size).toBe(served.length);
    expect(served.length).toBe(32);
  });

  it('drops a stream that ended and one from a blocked seller', async () => {
    await index.write({
      upserts: [livestreamDocFixture({ livestreamId: 'f1-a', sellerId: 'f1', status: 'ended', version: 2 })],
      deletions: [],
    });
    const feed = await composer.compose(DEFAULT_HOME_FEED_CONFIG, {
      user: { ...returning, blockedSellers: ['seller-0'] },
      now: NOW,
    });
    const all = feed.carousels.flatMap((c) => c.items.map((i) => i.livestreamId));
    expect(all).not.toContain('f1-a');
    expect(all).not.toContain('s00');
    expect(feed.carousels[0]!.items.map((i) => i.livestreamId)).toEqual(['f1-b']);
  });

  it('answers from the fallback when the primary backend is switched off, and still fills the feed', async () => {
    memory.isolate();
    const feed = await composer.compose(DEFAULT_HOME_FEED_CONFIG, { user: returning, now: NOW });

    expect(feed.carousels.map((c) => c.id)).toEqual(['following', 'for-you', 'similar-sellers', 'trending']);
    for (const shown of feed.carousels)
      expect(shown.servedBy).toMatchObject({
        retrieval: 'elasticsearch',
        retrievalReason: 'fallback-circuit-open',
      });
  });

  it('ranks each carousel with its configured model, weights and diversity caps (an experiment’s variation)', async () => {
    const sent: RankRequest[] = [];
    const recording: Ranker = {
      name: 'in-process',
      rank: (request, options) => {
        sent.push(request);
        return ranker.rank(request, options);
      },
    };
    const trending = (ranking: CarouselConfig['ranking']): HomeFeedConfig => ({
      requestBudgetMs: 50,
      carousels: [carousel({ id: 'trending', ranking, size: { page: 5, min: 1 } })],
    });
    const shown = async (config: HomeFeedConfig) =>
      (await build(recording).compose(config, { user: returning, now: NOW })).carousels[0]!.items.map(
        (i) => i.livestreamId,
      );

    const control = await shown(trending({ model: 'home' }));
    const treatment = await shown(
      trending({
        model: 'home',
        version: 1,
        weights: { momentum: 0, hotness: 0, sellerScore: 5 },
        maxPerCategory: 1,
      }),
    );

    expect(sent[0]).toMatchObject({ modelId: 'home', modelVersion: 0, weightOverrides: {} });
    expect(sent[0]!.diversity).toBeUndefined();
    expect(sent[1]).toMatchObject({
      modelId: 'home',
      modelVersion: 1,
      weightOverrides: { momentum: 0, hotness: 0, sellerScore: 5 },
      diversity: { maxPerSeller: 0, maxPerCategory: 1 },
    });
    // Control follows momentum (s27 and s13 at the top of it); the treatment follows the seller score and
    // the follow, with one stream per category on top (cards, then sneakers) and the rest demoted below.
    expect(control).toEqual(['s27', 's13', 's19', 's03', 's09']);
    expect(treatment).toEqual(['f1-b', 's06', 'f1-a', 's27', 's03']);
  });

  it('keeps retrieval order when ranking fails, and says so', async () => {
    const failing: Ranker = {
      name: 'grpc',
      rank: () => Promise.reject(new Error('Rank UNAVAILABLE: no connection')),
    };
    const feed = await build(failing).compose(DEFAULT_HOME_FEED_CONFIG, { user: returning, now: NOW });

    expect(feed.carousels.length).toBe(4);
    expect(feed.carousels.every((c) => c.servedBy.ranking === 'retrieval-order')).toBe(true);
  });

  it('leaves out a carousel whose only backend hangs, cancelling the call, and shows the rest', async () => {
    elasticsearchStandIn.fault = { kind: 'hang' };
    const config: HomeFeedConfig = {
      requestBudgetMs: 60,
      carousels: [
        carousel({ id: 'trending' }),
        carousel({
          id: 'for-you',
          retrieval: { strategy: 'category-affinity', primary: 'elasticsearch', budgetMs: 50, limit: 50 },
        }),
      ],
    };
    const started = performance.now();
    const feed = await composer.compose(config, { user: returning, now: NOW });

    expect(feed.carousels.map((c) => c.id)).toEqual(['trending']);
    expect(feed.omitted).toEqual([expect.objectContaining({ id: 'for-you', status: 'failed' })]);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(elasticsearchStandIn.cancelled).toBe(1);
  });

  it('answers within the request budget when a stage ignores cancellation, leaving its carousels out', async () => {
    const stuck: Ranker = { name: 'grpc', rank: () => new Promise(() => undefined) };
    const config: HomeFeedConfig = { ...DEFAULT_HOME_FEED_CONFIG, requestBudgetMs: 40 };
    const started = performance.now();
    const feed = await build(stuck).compose(config, { user: returning, now: NOW });

    expect(performance.now() - started).toBeLessThan(500);
    expect(feed.carousels).toEqual([]);
    expect(feed.omitted.map((c) => [c.id, c.status, c.detail])).toEqual([
      ['following', 'failed', 'request budget exhausted'],
      ['new-user-hot', 'gated', 'for new users only'],
      ['for-you', 'failed', 'request budget exhausted'],
      ['similar-sellers', 'failed', 'request budget exhausted'],
      ['trending', 'failed', 'request budget exhausted'],
    ]);
  });

  it('signs tracking tokens per user, carousel and stream', async () => {
    const feed = await composer.compose(DEFAULT_HOME_FEED_CONFIG, { user: returning, now: NOW });
    const item = feed.carousels[0]!.items[0]!;
    const [payload, signature] = item.trackingToken.split('.');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({
      u: 'user-1',
      c: 'following',
      l: 'f1-a',
    });
    expect(signature).toHaveLength(22);
  });

  describe('explain', () => {
    const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

    it('lists every candidate with its features, and contributions that add up to the score', async () => {
      const feed = await composer.compose(DEFAULT_HOME_FEED_CONFIG, {
        user: returning,
        now: NOW,
        explain: true,
      });

      for (const carousel of feed.carousels) {
        const explain = carousel.explain!;
        expect(explain).toMatchObject({ rankingFallback: null, model: { id: 'home', version: 1 } });
        const shown = explain.candidates.filter((c) => c.shown);
        expect(shown.map((c) => c.livestreamId)).toEqual(carousel.items.map((i) => i.livestreamId));
        for (const candidate of shown) {
          expect(Object.keys(candidate.contributions)).toContain('bias');
          expect(sum(candidate.contributions)).toBeCloseTo(candidate.score!, 9);
        }
        expect(explain.candidates.map((c) => c.rank)).toEqual(explain.candidates.map((_, i) => i + 1));
      }
      const following = feed.carousels[0]!.explain!;
      expect(following.model).toEqual({ id: 'home', version: 1 });
      expect(following.candidates[0]).toEqual({
        livestreamId: 'f1-a',
        title: expect.any(String),
        sellerId: 'f1',
        retrievalScore: expect.any(Number),
        score: feed.carousels[0]!.items[0]!.score,
        rank: 1,
        removedBy: null,
        shown: true,
        features: expect.objectContaining({ momentum: 1, hotness: 2, retrievalScore: expect.any(Number) }),
        contributions: expect.objectContaining({ bias: expect.any(Number) }),
        demoted: false,
      });
      // for-you also retrieved the followed seller's streams: placed higher, in its ranked order still.
      const forYou = feed.carousels.find((c) => c.id === 'for-you')!.explain!;
      const placedHigher = forYou.candidates.filter((c) => c.removedBy === 'placed-higher');
      expect(placedHigher.map((c) => c.livestreamId).sort()).toEqual(['f1-a', 'f1-b']);
      expect(placedHigher.every((c) => !c.shown && c.rank !== null)).toBe(true);
      // 17 streams in cards: 2 placed higher, 10 on the page, 5 ranked past it (kept, not shown).
      expect(forYou.candidates.filter((c) => c.shown)).toHaveLength(10);
      expect(forYou.candidates.filter((c) => c.removedBy === null && !c.shown)).toHaveLength(5);
      // A gated carousel is explained too, with nothing retrieved.
      expect(feed.omitted[0]).toMatchObject({
        id: 'new-user-hot',
        explain: { candidates: [], rankingFallback: null, model: null },
      });
    });

    it('names the filter that removed a candidate, after the ranked ones', async () => {
      // A lagging backend: it still has a stream that ended, and does not honour the excluded ids.
      const ended = toRetrievedDoc(
        livestreamDocFixture({
          livestreamId: 'gone',
          sellerId: 'seller-9',
          status: 'ended',
          categoryIds: ['cards'],
        }),
      );
      const inner = new MemoryRetriever(index);
      const lagging: Retriever = {
        backend: 'memory',
        retrieve: async (request, options) => {
          const result = await inner.retrieve({ ...request, excludedIds: [] }, options);
          return {
            ...result,
            candidates: [...result.candidates, { livestreamId: 'gone', score: 0.1, doc: ended }],
          };
        },
      };
      const sut = new HomeFeedComposer({
        backends: { memory: new GuardedBackend(lagging) },
        ranker,
        trackingSecret: 'test-secret',
      });
      const forYou = carousel({
        id: 'for-you',
        retrieval: { strategy: 'category-affinity', primary: 'memory', budgetMs: 30, limit: 200 },
      });
      const feed = await sut.compose(
        { requestBudgetMs: 50, carousels: [forYou] },
        {
          user: { ...returning, blockedSellers: ['seller-1'] },
          now: NOW,
          excludedIds: ['s03'],
          explain: true,
        },
      );

      const explain = feed.carousels[0]!.explain!;
      const removed = explain.candidates
        .filter((c) => c.rank === null)
        .map((c) => [c.livestreamId, c.removedBy, c.score, c.shown]);
      expect(removed).toEqual(
        expect.arrayContaining([
          ['gone', 'ended', null, false],
          ['s01', 'blocked-seller', null, false],
          ['s03', 'already-served', null, false],
        ]),
      );
      expect(removed).toHaveLength(3);
      expect(feed.carousels[0]!.filtered).toEqual({ ended: 1, 'blocked-seller': 1, 'already-served': 1 });
      // Ranked first, removed after; every candidate retrieval returned is there.
      expect(explain.candidates.slice(-3).every((c) => c.rank === null)).toBe(true);
      expect(explain.candidates).toHaveLength(18);
      expect(explain.candidates.find((c) => c.livestreamId === 'gone')!.features).toMatchObject({
        retrievalScore: 0.1,
      });
    });

    it('says why ranking fell back, with no contributions', async () => {
      const failing: Ranker = {
        name: 'grpc',
        rank: () => Promise.reject(new Error('Rank UNAVAILABLE: no connection')),
      };
      const feed = await build(failing).compose(DEFAULT_HOME_FEED_CONFIG, {
        user: returning,
        now: NOW,
        explain: true,
      });
      const explain = feed.carousels[0]!.explain!;
      expect(explain.rankingFallback).toBe('error: Rank UNAVAILABLE: no connection');
      expect(explain.model).toEqual({ id: 'retrieval-order', version: 0 });
      expect(explain.candidates.every((c) => Object.keys(c.contributions).length === 0)).toBe(true);
      expect(explain.candidates.map((c) => c.score)).toEqual(explain.candidates.map((c) => c.retrievalScore));
    });

    it('records nothing when the request does not ask', async () => {
      const feed = await composer.compose(DEFAULT_HOME_FEED_CONFIG, { user: returning, now: NOW });
      expect(feed.carousels.map((c) => c.explain)).toEqual([undefined, undefined, undefined, undefined]);
      expect(feed.omitted.map((c) => 'explain' in c)).toEqual([false]);
    });

    it('answers the explain endpoint shape: every carousel in config order, shown or not', async () => {
      const feed = await composer.compose(DEFAULT_HOME_FEED_CONFIG, {
        user: returning,
        now: NOW,
        explain: true,
      });
      const sut = explainHomeFeed({
        user: returning,
        config: DEFAULT_HOME_FEED_CONFIG,
        configSource: 'built-in-default',
        assignments: [],
        feed,
      });
      expect(sut).toMatchObject({
        userId: 'user-1',
        user: {
          newUser: false,
          followedSellers: ['f1'],
          categoryAffinities: { cards: 2 },
          hasEmbedding: true,
        },
        experiments: { configSource: 'built-in-default', assignments: [] },
      });
      expect(sut.carousels.map((c) => [c.id, c.status, c.shown])).toEqual([
        ['following', 'ok', true],
        ['new-user-hot', 'gated', false],
        ['for-you', 'ok', true],
        ['similar-sellers', 'ok', true],
        ['trending', 'ok', true],
      ]);
      expect(sut.carousels[1]).toMatchObject({
        title: 'Hot right now',
        detail: 'for new users only',
        candidates: [],
      });
      expect(sut.carousels[0]!.candidates.length).toBe(2);
    });
  });
});
