import { type LivestreamDoc } from '@crest/signals';

import { type RetrievalRequest, RetrievalRequestError, type Retriever } from './retrieval-request';

/** A backend under the contract: loads a set of docs (replacing what it held) and answers from them. */
export interface RetrieverUnderContract {
  load(docs: LivestreamDoc[]): Promise<Retriever>;
  close?(): Promise<void>;
}

const NOW = Date.parse('2026-11-24T12:00:00.000Z');
const LATER = new Date(NOW + 60_000).toISOString();
const EARLIER = new Date(NOW - 60_000).toISOString();

/** A live stream's doc with quiet signals; override what a case needs. */
export function livestreamDocFixture(
  overrides: Partial<LivestreamDoc> & Pick<LivestreamDoc, 'livestreamId'>,
): LivestreamDoc {
  const quiet = { '1m': 0, '5m': 0, '60m': 0 };
  return {
    sellerId: 'seller-a',
    status: 'live',
    title: `Stream ${overrides.livestreamId}`,
    categoryIds: ['sneakers'],
    thumbnailUrl: null,
    scheduledStartAt: null,
    startedAt: '2026-11-24T11:00:00.000Z',
    endedAt: null,
    auction: null,
    giveaway: null,
    currentViewers: 10,
    signals: { bids: { ...quiet }, chats: { ...quiet } },
    momentum: 1,
    hotness: 1,
    seller: { score: 0.8, embedding: null },
    lastEventAt: '2026-11-24T11:59:59.000Z',
    asOf: '2026-11-24T11:59:59.000Z',
    version: 1,
    checkpoint: {
      offsets: {},
      auctionBids: {},
      statusAt: null,
      auctionAt: null,
      giveawayAt: null,
      viewersJoined: 10,
      viewersLeft: 0,
    },
    ...overrides,
  } as LivestreamDoc;
}

/** A request of the contract's user at the contract's `now`; override what a case needs. */
export function retrievalRequestFixture(
  overrides: Partial<RetrievalRequest> & Pick<RetrievalRequest, 'strategy'>,
): RetrievalRequest {
  return {
    userId: 'user-1',
    followedSellers: [],
    categoryAffinities: {},
    userEmbedding: null,
    limit: 10,
    excludedIds: [],
    now: NOW,
    ...overrides,
  };
}

const auction = (endsAt: string) => ({
  auctionId: 'auction-1',
  productId: 'product-1',
  currentBidMinor: 1500,
  currency: 'USD',
  endsAt,
  bids: 3,
});

/** Embeddings at known angles to the user's [1, 0, 0, 0]: cosine 1, 0.6, 0 and -1. */
const EMBEDDING = {
  same: [2, 0, 0, 0],
  close: [0.6, 0.8, 0, 0],
  orthogonal: [0, 0, 3, 0],
  opposite: [-1, 0, 0, 0],
};

/**
 * The docs every case reads. Scores use values exact in float32, so expected scores are literal.
 * live streams: s1..s9; ended: e1.
 */
export const CONTRACT_DOCS: LivestreamDoc[] = [
  livestreamDocFixture({
    livestreamId: 's1',
    sellerId: 'seller-a',
    hotness: 3.5,
    momentum: 2,
    categoryIds: ['sneakers'],
  }),
  livestreamDocFixture({
    livestreamId: 's2',
    sellerId: 'seller-a',
    hotness: 1.25,
    momentum: 0.5,
    categoryIds: ['cards', 'sneakers'],
  }),
  livestreamDocFixture({
    livestreamId: 's3',
    sellerId: 'seller-b',
    hotness: 3.5,
    momentum: 3,
    categoryIds: ['cards'],
    currentViewers: 2,
  }),
  livestreamDocFixture({
    livestreamId: 's4',
    sellerId: 'seller-c',
    hotness: 5,
    momentum: 1.5,
    categoryIds: ['watches'],
    auction: auction(LATER),
    seller: { score: 0.75, embedding: EMBEDDING.close },
  }),
  livestreamDocFixture({
    livestreamId: 's5',
    sellerId: 'seller-d',
    hotness: 6,
    momentum: 2.5,
    categoryIds: ['watches'],
    auction: auction(EARLIER),
    seller: { score: 0.9, embedding: EMBEDDING.same },
  }),
  livestreamDocFixture({
    livestreamId: 's6',
    sellerId: 'seller-e',
    hotness: 4,
    momentum: 1.25,
    categoryIds: ['comics'],
    giveaway: { giveawayId: 'g-1', prize: 'A card', endsAt: LATER },
    seller: { score: 0.5, embedding: EMBEDDING.orthogonal },
  }),
  livestreamDocFixture({
    livestreamId: 's7',
    sellerId: 'seller-f',
    hotness: 7,
    momentum: 4,
    categoryIds: ['comics'],
    auction: auction(LATER),
    seller: { score: null, embedding: EMBEDDING.opposite },
  }),
  livestreamDocFixture({
    livestreamId: 's8',
    sellerId: 'seller-g',
    hotness: 8,
    momentum: 0.75,
    categoryIds: ['comics'],
    auction: auction(LATER),
    seller: { score: 0.25, embedding: null },
  }),
  livestreamDocFixture({
    livestreamId: 's9',
    sellerId: 'seller-d',
    hotness: 2,
    momentum: 1,
    categoryIds: ['watches'],
    giveaway: { giveawayId: 'g-2', prize: 'A watch', endsAt: LATER },
    seller: { score: 0.9, embedding: EMBEDDING.same },
  }),
  livestreamDocFixture({
    livestreamId: 'e1',
    sellerId: 'seller-a',
    status: 'ended',
    endedAt: EARLIER,
    hotness: 9,
    momentum: 5,
    categoryIds: ['sneakers'],
  }),
];

/**
 * The retrieval contract every backend passes (memory, Elasticsearch, Rockset): the same selection, scores
 * and order for every strategy, the same request errors. Call inside a spec file.
 */
export function describeRetrieverContract(backend: string, setup: () => RetrieverUnderContract): void {
  describe(`retriever contract: ${backend}`, () => {
    let subject: RetrieverUnderContract;
    let sut: Retriever;

    beforeAll(async () => {
      subject = setup();
      sut = await subject.load(CONTRACT_DOCS);
    });
    afterAll(async () => {
      await subject?.close?.();
    });

    const ids = async (overrides: Parameters<typeof retrievalRequestFixture>[0]) =>
      (await sut.retrieve(retrievalRequestFixture(overrides))).candidates.map((c) => c.livestreamId);
    const scored = async (overrides: Parameters<typeof retrievalRequestFixture>[0]) =>
      (await sut.retrieve(retrievalRequestFixture(overrides))).candidates.map((c) => [
        c.livestreamId,
        c.score,
      ]);

    it('names itself and returns docs without the ingestor bookkeeping', async () => {
      const result = await sut.retrieve(
        retrievalRequestFixture({ strategy: 'following', followedSellers: ['seller-c'] }),
      );

      expect(result).toMatchObject({ backend, strategy: 'following', reason: 'primary' });
      expect(result.timings.totalMs).toBeGreaterThanOrEqual(0);
      expect(result.candidates).toHaveLength(1);
      const doc = result.candidates[0]!.doc;
      expect(doc).toMatchObject({
        livestreamId: 's4',
        sellerId: 'seller-c',
        status: 'live',
        categoryIds: ['watches'],
        currentViewers: 10,
        auction: { auctionId: 'auction-1', currentBidMinor: 1500, endsAt: LATER },
        signals: { bids: { '1m': 0, '5m': 0, '60m': 0 } },
        seller: { score: 0.75, embedding: EMBEDDING.close },
      });
      expect(doc).not.toHaveProperty('checkpoint');
    });

    describe('following', () => {
      it("returns the followed sellers' live streams by hotness, never an ended one", async () => {
        expect(await scored({ strategy: 'following', followedSellers: ['seller-a', 'seller-b'] })).toEqual([
          ['s1', 3.5],
          ['s3', 3.5],
          ['s2', 1.25],
        ]);
      });

      it('leaves out excluded ids, honours the limit and the minHotness param', async () => {
        const followedSellers = ['seller-a', 'seller-b'];
        expect(await ids({ strategy: 'following', followedSellers, excludedIds: ['s1'] })).toEqual([
          's3',
          's2',
        ]);
        expect(await ids({ strategy: 'following', followedSellers, limit: 1 })).toEqual(['s1']);
        expect(await ids({ strategy: 'following', followedSellers, params: { minHotness: 2 } })).toEqual([
          's1',
          's3',
        ]);
      });

      it('answers no candidates for a user who follows nobody', async () => {
        expect(await ids({ strategy: 'following' })).toEqual([]);
      });
    });

    describe('category-affinity', () => {
      it("scores momentum × the user's strongest affinity among the stream's categories", async () => {
        expect(
          await scored({ strategy: 'category-affinity', categoryAffinities: { sneakers: 0.5, cards: 2 } }),
        ).toEqual([
          ['s3', 6],
          ['s1', 1],
          ['s2', 1],
        ]);
      });

      it('honours minMomentum', async () => {
        expect(
          await ids({
            strategy: 'category-affinity',
            categoryAffinities: { sneakers: 0.5, cards: 2 },
            params: { minMomentum: 1 },
          }),
        ).toEqual(['s3', 's1']);
      });
    });

    describe('trending', () => {
      it('orders live streams by momentum, hotness breaking ties', async () => {
        const candidates = (await sut.retrieve(retrievalRequestFixture({ strategy: 'trending', limit: 4 })))
          .candidates;
        expect(candidates.map((c) => c.livestreamId)).toEqual(['s7', 's3', 's5', 's1']);
        expect(candidates[0]!.score).toBeCloseTo(4.0007, 6);
      });

      it('honours minMomentum and minViewers', async () => {
        expect(
          await ids({
            strategy: 'trending',
            params: { minMomentum: 1.5, minViewers: 5 },
            excludedIds: ['s7'],
          }),
        ).toEqual(['s5', 's1', 's4']);
      });
    });

    describe('new-user-hot', () => {
      it('keeps waves with a running auction or giveaway from sellers that pass the quality gate', async () => {
        // s5's auction is over, s7's seller has no score, s8's scores 0.25 and is below a wave.
        expect(await scored({ strategy: 'new-user-hot' })).toEqual([
          ['s4', 5],
          ['s6', 4],
          ['s9', 2],
        ]);
      });

      it('reads the gates from params', async () => {
        expect(
          await ids({ strategy: 'new-user-hot', params: { minMomentum: 0.5, minSellerScore: 0.2 } }),
        ).toEqual(['s8', 's4', 's6', 's9']);
      });
    });

    describe('similar-sellers', () => {
      it("returns live streams of the sellers closest to the user's embedding, (1 + cosine) / 2", async () => {
        const candidates = (
          await sut.retrieve(
            retrievalRequestFixture({ strategy: 'similar-sellers', userEmbedding: [1, 0, 0, 0] }),
          )
        ).candidates;
        expect(candidates.map((c) => c.livestreamId)).toEqual(['s5', 's9', 's4', 's6']);
        expect(candidates.map((c) => c.score)).toEqual([
          expect.closeTo(1, 5),
          expect.closeTo(1, 5),
          expect.closeTo(0.8, 5),
          expect.closeTo(0.5, 5),
        ]);
      });

      it('leaves out followed sellers unless told not to, and honours minSimilarity', async () => {
        const base = {
          strategy: 'similar-sellers',
          userEmbedding: [1, 0, 0, 0],
          followedSellers: ['seller-d'],
        };
        expect(await ids(base)).toEqual(['s4', 's6']);
        expect(await ids({ ...base, params: { excludeFollowed: false, minSimilarity: 0.5 } })).toEqual([
          's5',
          's9',
          's4',
        ]);
      });

      it('answers no candidates without a user embedding', async () => {
        expect(await ids({ strategy: 'similar-sellers' })).toEqual([]);
      });
    });

    describe('bad requests', () => {
      it('rejects an unknown strategy, naming the known ones', async () => {
        await expect(sut.retrieve(retrievalRequestFixture({ strategy: 'nope' }))).rejects.toThrow(
          'unknown strategy "nope" (known: following, category-affinity, trending, new-user-hot, similar-sellers)',
        );
      });

      it('lists every problem of a request', async () => {
        const error = await sut
          .retrieve(
            retrievalRequestFixture({
              strategy: 'trending',
              limit: 0,
              params: { minMomentum: -1, colour: 3 } as never,
              categoryAffinities: { cards: 0 },
            }),
          )
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RetrievalRequestError);
        expect((error as RetrievalRequestError).problems).toEqual([
          'categoryAffinities.cards must be a finite number > 0 (got 0)',
          'limit must be an integer in [1, 1000] (got 0)',
          'trending has no parameter "colour" (it has: minMomentum, minViewers)',
          'trending.minMomentum must be in [0, inf] (got -1)',
        ]);
      });

      it('rejects a param of the wrong type', async () => {
        await expect(
          sut.retrieve(
            retrievalRequestFixture({
              strategy: 'similar-sellers',
              params: { excludeFollowed: 'yes' } as never,
            }),
          ),
        ).rejects.toThrow('similar-sellers.excludeFollowed must be a boolean (got "yes")');
      });
    });
  });
}
