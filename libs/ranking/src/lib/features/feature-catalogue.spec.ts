import { toCandidateColumns } from '../candidate-columns';
import { candidateFixture, NOW, userFixture } from '../ranking.fixtures';
import { FEATURE_CATALOGUE, featureInputOf } from './feature-catalogue';
import { compileTransforms } from './transforms';

describe('feature catalogue', () => {
  const user = userFixture({
    followedSellers: ['seller-x'],
    categoryAffinities: { cards: 2, comics: 0.5 },
    embedding: [1, 0],
  });
  const candidate = candidateFixture('s1', {
    sellerId: 'seller-x',
    categoryIds: ['comics', 'cards'],
    seller: { score: 0.7, embedding: [1, 1] },
    stream: {
      momentum: 2.5,
      hotness: 4,
      currentViewers: 120,
      bidsPerMinute: 12,
      chatsPerMinute: 30,
      engagedUsers5m: 45,
      startedAtMs: NOW - 90_000,
      lastEventAtMs: NOW - 2_000,
      auctionEndsAtMs: NOW + 45_000,
      giveawayEndsAtMs: NOW - 1,
    },
  });
  const other = candidateFixture('s0', { categoryIds: ['toys'], seller: { score: 0.1, embedding: [0, 1] } });
  // The second candidate: reads must not mix up rows.
  const input = featureInputOf(user, toCandidateColumns([other, candidate], 2), NOW);
  input.index = 1;
  const values = Object.fromEntries(FEATURE_CATALOGUE.map((f) => [f.name, f.read(input)]));

  it('reads every feature of a stream, its seller and the user', () => {
    expect(values).toEqual({
      momentum: 2.5,
      hotness: 4,
      currentViewers: 120,
      bidsPerMinute: 12,
      chatsPerMinute: 30,
      engagedUsers5m: 45,
      streamAgeSeconds: 90,
      auctionActive: 1,
      auctionSecondsLeft: 45,
      giveawayActive: 0,
      freshnessSeconds: 2,
      sellerScore: 0.7,
      followsSeller: 1,
      categoryAffinity: 2,
      embeddingSimilarity: expect.closeTo(Math.SQRT1_2, 12),
    });
  });

  it('reports missing inputs as not finite (undefined or NaN), so the failure policy decides', () => {
    const bare = candidateFixture('s2', {
      seller: undefined,
      stream: { startedAtMs: undefined, lastEventAtMs: undefined },
    });
    const read = (name: string, who = userFixture()) =>
      FEATURE_CATALOGUE.find((f) => f.name === name)!.read(
        featureInputOf(who, toCandidateColumns([bare], 0), NOW),
      );
    expect(read('sellerScore')).toBeNaN();
    expect(read('streamAgeSeconds')).toBeUndefined();
    expect(read('freshnessSeconds')).toBeUndefined();
    expect(read('embeddingSimilarity')).toBeUndefined();
    expect(read('auctionActive')).toBe(0);
    expect(read('followsSeller')).toBe(0);
  });

  it('finds no similarity for a seller without an embedding among sellers with one', () => {
    const withEmbedding = candidateFixture('s3', { seller: { score: 1, embedding: [1, 0] } });
    const without = candidateFixture('s4', { seller: { score: 1, embedding: [] } });
    const similarity = FEATURE_CATALOGUE.find((f) => f.name === 'embeddingSimilarity')!;
    const at = featureInputOf(user, toCandidateColumns([withEmbedding, without], 2), NOW);
    expect(similarity.read(at)).toBeCloseTo(1, 12);
    at.index = 1;
    expect(similarity.read(at)).toBeUndefined();
  });

  it('declares a source, a type, a default and a failure policy for every feature', () => {
    for (const feature of FEATURE_CATALOGUE) {
      expect(['stream', 'seller', 'user', 'user-stream']).toContain(feature.source);
      expect(['default', 'reject']).toContain(feature.onMissing);
      expect(Number.isFinite(feature.default)).toBe(true);
    }
  });
});

describe('transforms', () => {
  it('compose in order and report bad specs', () => {
    const problems: string[] = [];
    const transform = compileTransforms(['log1p', { scale: 2 }, { clip: [0, 3] }], 'f', problems);
    expect(transform(Math.E - 1)).toBe(2);
    expect(transform(1_000)).toBe(3);
    expect(problems).toEqual([]);
    compileTransforms([{ normalize: { mean: 0, std: 0 } }, 'cube' as never], 'g', problems);
    expect(problems).toEqual([
      'g.transforms[0]: normalize.std must be > 0',
      'g.transforms[1]: unknown transform "cube" (log1p, clip, normalize, scale)',
    ]);
  });
});
