import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { type Candidate } from '../../generated/crest/ranking/v1/ranking';
import { candidateFixture, NOW, userFixture } from '../ranking.fixtures';
import { ModelRegistry } from './model-registry';
import { ModelConfigError, RankingModel, RankInputError } from './ranking-model';

const simple = (overrides: object = {}) =>
  new RankingModel({
    id: 'simple',
    version: 1,
    kind: 'linear',
    bias: 0,
    features: { momentum: { weight: 1 }, followsSeller: { weight: 2 } },
    ...overrides,
  });
const order = (ranked: Array<{ livestreamId: string }>) => ranked.map((c) => c.livestreamId);

describe('RankingModel', () => {
  const user = userFixture({ followedSellers: ['seller-c'] });
  const candidates: Candidate[] = [
    candidateFixture('a', { stream: { momentum: 1 } }),
    candidateFixture('b', { stream: { momentum: 2 } }),
    candidateFixture('c', { sellerId: 'seller-c', stream: { momentum: 0.5 } }),
  ];

  it('orders by weighted features: a followed seller’s calm stream over busier strangers', () => {
    expect(order(simple().rank(user, candidates, { now: NOW }))).toEqual(['c', 'b', 'a']);
  });

  it('explains each score as contributions that sum to it', () => {
    const [first] = simple().rank(user, candidates, { now: NOW, explain: true });
    expect(first).toEqual({
      livestreamId: 'c',
      score: 2.5,
      probability: 2.5,
      contributions: { bias: 0, momentum: 0.5, followsSeller: 2 },
      demoted: false,
    });
  });

  it('breaks equal scores by retrieval score, then by id, whatever the input order', () => {
    const tied = [
      candidateFixture('z', { retrievalScore: 1 }),
      candidateFixture('y', { retrievalScore: 2 }),
      candidateFixture('x', { retrievalScore: 1 }),
    ];
    const expected = ['y', 'x', 'z'];
    expect(order(simple().rank(user, tied, { now: NOW }))).toEqual(expected);
    expect(order(simple().rank(user, [...tied].reverse(), { now: NOW }))).toEqual(expected);
  });

  it('takes weight overrides (an experiment variation) and refuses unknown ones', () => {
    expect(
      order(simple().rank(user, candidates, { now: NOW, weightOverrides: { followsSeller: 0 } })),
    ).toEqual(['b', 'a', 'c']);
    expect(() => simple().rank(user, candidates, { now: NOW, weightOverrides: { colour: 1 } })).toThrow(
      new RankInputError([
        'weight override for "colour": model simple@1 has no such feature (it has: momentum, followsSeller)',
      ]),
    );
  });

  it('applies transforms in order: log1p, clip, normalize', () => {
    const model = simple({
      features: {
        currentViewers: {
          weight: 1,
          transforms: ['log1p', { clip: [0, 2] }, { normalize: { mean: 1, std: 0.5 } }],
        },
      },
    });
    const ranked = model.rank(
      user,
      [
        candidateFixture('few', { stream: { currentViewers: Math.E - 1 } }), // log1p = 1 -> 1 -> 0
        candidateFixture('many', { stream: { currentViewers: 1_000 } }), // log1p ≈ 6.9 -> 2 -> 2
      ],
      { now: NOW, explain: true },
    );
    expect(ranked.map((c) => [c.livestreamId, c.score])).toEqual([
      ['many', 2],
      ['few', expect.closeTo(0, 12)],
    ]);
  });

  it('reads time-based features at the request’s now', () => {
    const model = simple({
      features: { auctionActive: { weight: 1 }, auctionSecondsLeft: { weight: -0.01 } },
    });
    const ranked = model.rank(
      user,
      [
        candidateFixture('over', { stream: { auctionEndsAtMs: NOW - 1 } }),
        candidateFixture('soon', { stream: { auctionEndsAtMs: NOW + 10_000 } }),
        candidateFixture('later', { stream: { auctionEndsAtMs: NOW + 50_000 } }),
      ],
      { now: NOW },
    );
    expect(ranked.map((c) => [c.livestreamId, c.score])).toEqual([
      ['soon', 0.9],
      ['later', 0.5],
      ['over', 0],
    ]);
  });

  it('gives a logistic model’s probability, with contributions summing to the logit', () => {
    const model = simple({ kind: 'logistic', bias: -1 });
    const [first] = model.rank(user, candidates, { now: NOW, explain: true });
    expect(first!.livestreamId).toBe('c');
    expect(first!.score).toBe(1.5);
    expect(first!.probability).toBeCloseTo(1 / (1 + Math.exp(-1.5)), 12);
    expect(Object.values(first!.contributions).reduce((a, b) => a + b, 0)).toBe(1.5);
  });

  describe('diversity', () => {
    const sameSeller = [
      candidateFixture('a1', { sellerId: 's-a', stream: { momentum: 5 } }),
      candidateFixture('a2', { sellerId: 's-a', stream: { momentum: 4 } }),
      candidateFixture('a3', { sellerId: 's-a', stream: { momentum: 3 } }),
      candidateFixture('b1', { sellerId: 's-b', stream: { momentum: 2 }, categoryIds: ['cards'] }),
    ];

    it('moves a seller’s streams past the cap below the rest, in order', () => {
      const ranked = simple({ diversity: { maxPerSeller: 1 } }).rank(user, sameSeller, { now: NOW });
      expect(ranked.map((c) => [c.livestreamId, c.demoted])).toEqual([
        ['a1', false],
        ['b1', false],
        ['a2', true],
        ['a3', true],
      ]);
    });

    it('caps categories, and the request can override the model’s caps', () => {
      const ranked = simple().rank(user, sameSeller, {
        now: NOW,
        diversity: { maxPerSeller: 0, maxPerCategory: 2 },
      });
      expect(order(ranked)).toEqual(['a1', 'a2', 'b1', 'a3']);
    });
  });

  it('refuses a config naming unknown features or bad transforms, listing every problem', () => {
    expect(
      () =>
        new RankingModel({
          id: 'broken',
          version: 1,
          kind: 'linear',
          bias: 0,
          features: { charisma: { weight: 1 }, momentum: { weight: 1, transforms: [{ clip: [5, 1] }] } },
        }),
    ).toThrow(
      new ModelConfigError('broken', [
        'features.charisma: not in the feature catalogue',
        'features.momentum.transforms[0]: clip bounds must be [low, high] with low <= high',
      ]),
    );
    expect(
      () => new RankingModel({ id: 'Bad Id', version: 0, kind: 'svm', bias: 0, features: {} } as never),
    ).toThrow(
      /Model Bad Id is invalid: \/id must match pattern .*; \/version must be >= 1; \/kind must be equal to one of the allowed values; \/features must NOT have fewer than 1 properties/,
    );
  });
});

describe('shipped models', () => {
  const registry = new ModelRegistry();
  const user = userFixture({
    followedSellers: ['seller-f'],
    categoryAffinities: { cards: 2 },
    embedding: [1, 0, 0],
  });
  const candidates = [
    // A wave: busy, auction running, good seller.
    candidateFixture('wave', {
      seller: { score: 0.9, embedding: [0, 1, 0] },
      stream: {
        momentum: 3,
        hotness: 6,
        currentViewers: 400,
        bidsPerMinute: 30,
        auctionEndsAtMs: NOW + 60_000,
      },
    }),
    // Followed seller, calm, in a liked category.
    candidateFixture('followed', {
      sellerId: 'seller-f',
      categoryIds: ['cards'],
      seller: { score: 0.6, embedding: [1, 0, 0] },
      stream: { momentum: 1, hotness: 1, currentViewers: 20 },
    }),
    // Nothing going on.
    candidateFixture('quiet', {
      seller: { score: 0.2, embedding: [] },
      stream: { momentum: 0.5, hotness: 0.1, currentViewers: 2 },
    }),
    // A giveaway from a weak seller.
    candidateFixture('giveaway', {
      seller: { score: 0.3, embedding: [] },
      stream: { momentum: 1.5, hotness: 2, currentViewers: 80, giveawayEndsAtMs: NOW + 30_000 },
    }),
  ];

  it.each([
    // A big wave outweighs a calm stream of a followed seller; following still beats a busier giveaway.
    ['home', ['wave', 'followed', 'giveaway', 'quiet']],
    ['new-user', ['wave', 'giveaway', 'followed', 'quiet']],
    ['home-click', ['wave', 'followed', 'giveaway', 'quiet']],
  ])('%s orders the scenario literally', (modelId, expected) => {
    const ranked = registry.resolve(modelId).rank(user, candidates, { now: NOW, explain: true });
    expect(order(ranked)).toEqual(expected);
    for (const candidate of ranked)
      expect(Object.values(candidate.contributions).reduce((a, b) => a + b, 0)).toBeCloseTo(
        candidate.score,
        12,
      );
  });

  it('resolves the latest version, a pinned one, and names what exists otherwise', () => {
    expect(registry.resolve('home').version).toBe(1);
    expect(registry.resolve('home', 1).id).toBe('home');
    expect(() => registry.resolve('home', 7)).toThrow('model "home" has no version 7 (has: 1)');
    expect(() => registry.resolve('nope')).toThrow(
      'unknown model "nope" (known: home, home-click, new-user)',
    );
  });

  it('serves every model file shipped in libs/ranking/models, under the id and version its name gives', () => {
    const shipped = readdirSync(join(__dirname, '../../../models'))
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.replace(/\.json$/, ''))
      .sort();
    const served = registry
      .list()
      .flatMap(({ id, versions }) => versions.map((version) => `${id}@${version}`))
      .sort();
    expect(served).toEqual(shipped);
  });
});
