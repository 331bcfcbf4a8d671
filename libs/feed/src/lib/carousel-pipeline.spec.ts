import { toRetrievedDoc } from '@crest/retrieval';
import { livestreamDocFixture } from '@crest/retrieval/testing';

import { toRankColumns } from './carousel-pipeline';

describe('toRankColumns', () => {
  const withEverything = toRetrievedDoc(
    livestreamDocFixture({
      livestreamId: 'a',
      sellerId: 'seller-a',
      categoryIds: ['cards', 'comics'],
      momentum: 2,
      hotness: 3,
      startedAt: '2026-11-24T11:00:00.000Z',
      lastEventAt: '2026-11-24T11:59:59.000Z',
      auction: {
        auctionId: 'x',
        productId: 'p',
        currentBidMinor: 100,
        currency: 'USD',
        endsAt: '2026-11-24T12:01:00.000Z',
        bids: 1,
      },
      seller: { score: 0.8, embedding: [1, 0, 0] },
    }),
  );
  const bare = toRetrievedDoc(
    livestreamDocFixture({
      livestreamId: 'b',
      categoryIds: [],
      startedAt: null,
      auction: null,
      giveaway: null,
      seller: { score: null, embedding: [1, 0] },
    }),
  );
  const candidates = [
    { livestreamId: 'a', score: 5, doc: withEverything },
    { livestreamId: 'b', score: 4, doc: bare },
  ];

  it('reads each doc into its row: times as epoch ms, unknowns as NaN, categories flattened', () => {
    const columns = toRankColumns(candidates, 3);
    expect(columns).toMatchObject({
      livestreamIds: ['a', 'b'],
      categoryCounts: [2, 0],
      categoryIds: ['cards', 'comics'],
      retrievalScores: [5, 4],
      momentum: [2, bare.momentum],
      startedAtMs: [Date.parse('2026-11-24T11:00:00.000Z'), NaN],
      auctionEndsAtMs: [Date.parse('2026-11-24T12:01:00.000Z'), NaN],
      sellerScores: [0.8, NaN],
      sellerEmbeddingDims: 3,
      // b's seller embedding has another length than the user's: it cannot be compared, so NaN.
      sellerEmbeddings: [1, 0, 0, NaN, NaN, NaN],
    });
  });

  it('sends no seller embeddings for a user without one', () => {
    expect(toRankColumns(candidates, 0)).toMatchObject({ sellerEmbeddingDims: 0, sellerEmbeddings: [] });
  });
});
