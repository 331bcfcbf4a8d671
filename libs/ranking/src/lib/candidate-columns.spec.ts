import { SeededRandom } from '@crest/testing';

import { type Candidate, type RankRequest } from '../generated/crest/ranking/v1/ranking';
import { candidateColumnsProblems, scoredCandidatesOf, toCandidateColumns } from './candidate-columns';
import { InProcessRanker } from './in-process-ranker';
import { ModelRegistry } from './models/model-registry';
import { rankRequestProblems, rankWithRegistry, withCandidateColumns } from './rank-request';
import { type Ranker, rankOrRetrievalOrder } from './ranker.port';
import { candidateFixture, NOW, rankRequestFixture, userFixture } from './ranking.fixtures';

/** Varied candidates, with the gaps real ones have: no seller features, no auction, no start time. */
function candidatesOf(random: SeededRandom, count: number): Candidate[] {
  const vector = () => Array.from({ length: 4 }, () => random.float() - 0.5);
  return Array.from({ length: count }, (_, i) =>
    candidateFixture(`stream-${i}`, {
      sellerId: `seller-${random.int(0, 9)}`,
      categoryIds: random.chance(0.2) ? [] : ['cards', 'comics', 'toys'].slice(0, random.int(1, 3)),
      retrievalScore: random.int(0, 3),
      seller: random.chance(0.2)
        ? undefined
        : { score: random.float(), embedding: random.chance(0.3) ? [] : vector() },
      stream: {
        momentum: random.float() * 3,
        hotness: random.int(0, 4),
        currentViewers: random.int(0, 500),
        startedAtMs: random.chance(0.3) ? undefined : NOW - random.int(0, 3_600) * 1_000,
        auctionEndsAtMs: random.chance(0.5) ? undefined : NOW + random.int(-60, 600) * 1_000,
        giveawayEndsAtMs: random.chance(0.8) ? undefined : NOW + 60_000,
      },
    }),
  );
}

describe('candidate columns', () => {
  const registry = new ModelRegistry();

  it.each(['home', 'new-user', 'home-click'])(
    'rank exactly as one message per candidate does (%s: order, scores, explain, diversity)',
    (modelId) => {
      const random = new SeededRandom(7);
      const rows: RankRequest = rankRequestFixture({
        modelId,
        user: userFixture({
          followedSellers: ['seller-1', 'seller-2'],
          categoryAffinities: { cards: 2, toys: 0.5 },
          embedding: [0.1, -0.4, 0.3, 0.2],
        }),
        candidates: candidatesOf(random, 200),
        diversity: { maxPerSeller: 3, maxPerCategory: 0 },
        explain: true,
      });
      const columns = withCandidateColumns(rows);

      const byRows = rankWithRegistry(registry, rows);
      const byColumns = rankWithRegistry(registry, columns);

      expect(byColumns.candidates).toEqual([]);
      expect(scoredCandidatesOf(byColumns.ranked!, columns.columns!.livestreamIds)).toEqual(
        byRows.candidates,
      );
      expect(byRows.candidates.filter((c) => c.demoted).length).toBeGreaterThan(0);
    },
  );

  it('send no seller embeddings for a user without one, and NaN rows for sellers of another length', () => {
    const candidates = [
      candidateFixture('a', { seller: { score: 0.9, embedding: [1, 2] } }),
      candidateFixture('b', { seller: { score: 0.9, embedding: [1, 2, 3] } }),
    ];
    expect(toCandidateColumns(candidates, 0)).toMatchObject({ sellerEmbeddingDims: 0, sellerEmbeddings: [] });
    expect(toCandidateColumns(candidates, 2)).toMatchObject({
      sellerEmbeddingDims: 2,
      sellerEmbeddings: [1, 2, NaN, NaN],
    });
  });

  it('name every shape problem: lengths, categories, embeddings, both forms at once', () => {
    const columns = toCandidateColumns([candidateFixture('a'), candidateFixture('b')], 0);
    columns.momentum.pop();
    columns.categoryIds.push('extra');
    columns.sellerEmbeddingDims = 3;
    expect(candidateColumnsProblems(columns)).toEqual([
      'columns.momentum holds 1 values for 2 candidates (expected 2)',
      'columns.categoryIds holds 3 ids but categoryCounts add up to 2',
      'columns.sellerEmbeddings holds 0 values for 2 candidates (expected 6)',
    ]);
    const both = rankRequestFixture({ candidates: [candidateFixture('c')], columns });
    expect(rankRequestProblems(both)).toEqual(
      expect.arrayContaining([
        'send candidates or columns, not both',
        "columns.sellerEmbeddingDims must be 0 or the user's embedding length 0 (got 3)",
      ]),
    );
  });

  it('refuse duplicate ids and unknown retrieval scores in columns as in rows', () => {
    const columns = toCandidateColumns([candidateFixture('a'), candidateFixture('a')], 0);
    columns.retrievalScores[1] = NaN;
    expect(rankRequestProblems(rankRequestFixture({ columns }))).toEqual([
      'candidates[1].livestreamId "a" appears twice',
      'candidates[1].retrievalScore must be finite',
    ]);
  });

  it('reject a candidate without a required feature by index and id', () => {
    const columns = toCandidateColumns([candidateFixture('a'), candidateFixture('b')], 0);
    columns.momentum[1] = NaN;
    expect(() => rankWithRegistry(registry, rankRequestFixture({ columns }))).toThrow(
      'candidates[1] (b) lacks momentum',
    );
  });
});

describe('rankers answer columns requests one ScoredCandidate per candidate', () => {
  const rows = rankRequestFixture({
    candidates: [
      candidateFixture('calm', { retrievalScore: 3 }),
      candidateFixture('wave', { retrievalScore: 1, stream: { momentum: 4, hotness: 8 } }),
      candidateFixture('quiet', { retrievalScore: 2, stream: { momentum: 0.5, hotness: 0 } }),
    ],
  });

  it('in process: the same answer as for rows', async () => {
    const ranker = new InProcessRanker();
    const byColumns = await ranker.rank(withCandidateColumns(rows));
    expect(byColumns).toEqual(await ranker.rank(rows));
    expect(byColumns.candidates.map((c) => c.livestreamId)).toEqual(['wave', 'calm', 'quiet']);
  });

  it('falls back to the retrieval order of the columns when the ranker fails', async () => {
    const failing: Ranker = { name: 'broken', rank: () => Promise.reject(new Error('boom')) };
    const outcome = await rankOrRetrievalOrder(failing, withCandidateColumns(rows));
    expect(outcome.servedBy).toBe('retrieval-order');
    expect(outcome.response.candidates.map((c) => [c.livestreamId, c.score])).toEqual([
      ['calm', 3],
      ['quiet', 2],
      ['wave', 1],
    ]);
  });
});
