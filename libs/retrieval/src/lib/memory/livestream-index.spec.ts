import { type LivestreamDoc } from '@crest/signals';
import { SeededRandom } from '@crest/testing';

import { compareCandidates, type RetrievalRequest, type RetrievedDoc } from '../retrieval-request';
import { livestreamDocFixture } from '../retriever.contract';
import { f32 } from '../strategies/retrieval-strategy';
import { TRENDING_HOTNESS_WEIGHT } from '../strategies/trending.strategy';
import { LivestreamIndex } from './livestream-index';
import { MemoryRetriever } from './memory.retriever';

const NOW = Date.parse('2026-11-24T12:00:00.000Z');
const CATEGORIES = ['cards', 'comics', 'sneakers', 'watches', 'toys'];

// Features belong to the seller: every stream of a seller carries the same.
const sellerRandom = new SeededRandom(99);
const SELLERS = Array.from({ length: 31 }, (_, i) => ({
  sellerId: `seller-${i}`,
  score: sellerRandom.chance(0.1) ? null : sellerRandom.int(0, 10) / 10,
  embedding: sellerRandom.chance(0.2) ? null : Array.from({ length: 4 }, () => sellerRandom.int(-2, 2)),
}));

/** Random docs with many equal scores (few distinct values), to exercise tie order. */
function randomDoc(random: SeededRandom, id: string, version: number): LivestreamDoc {
  const offer = random.float();
  const seller = random.pick(SELLERS);
  const endsAt = new Date(NOW + (random.chance(0.7) ? 60_000 : -60_000)).toISOString();
  return livestreamDocFixture({
    livestreamId: id,
    version,
    sellerId: seller.sellerId,
    status: random.chance(0.85) ? 'live' : 'ended',
    categoryIds: [...new Set([random.pick(CATEGORIES), random.pick(CATEGORIES)])],
    momentum: random.int(0, 12) / 4,
    hotness: random.int(0, 20) / 2 + (random.chance(0.3) ? 0.1 : 0),
    currentViewers: random.int(0, 20),
    auction:
      offer < 0.3
        ? { auctionId: 'a', productId: 'p', currentBidMinor: 100, currency: 'USD', endsAt, bids: 1 }
        : null,
    giveaway: offer > 0.8 ? { giveawayId: 'g', prize: 'x', endsAt } : null,
    seller: { score: seller.score, embedding: seller.embedding },
  });
}

/** An index after random upserts, updates (some stale), status changes and deletions. */
function churnedIndex(seed: number): LivestreamIndex {
  const random = new SeededRandom(seed);
  const index = new LivestreamIndex();
  const versions = new Map<string, number>();
  for (let step = 0; step < 3_000; step++) {
    const id = `s${random.int(0, 400)}`;
    if (random.chance(0.05)) {
      index.delete(id);
      versions.delete(id);
      continue;
    }
    const version = (versions.get(id) ?? 0) + (random.chance(0.1) ? -1 : 1);
    versions.set(id, Math.max(versions.get(id) ?? 0, version));
    index.upsert(randomDoc(random, id, version));
  }
  return index;
}

const byDesc = (value: (d: RetrievedDoc) => number) => (a: RetrievedDoc, b: RetrievedDoc) =>
  f32(value(b)) - f32(value(a)) || (a.livestreamId < b.livestreamId ? -1 : 1);
const ids = (docs: Iterable<RetrievedDoc>) => [...docs].map((d) => d.livestreamId);

describe('LivestreamIndex', () => {
  const index = churnedIndex(1);
  const live = [...index.live()];

  it('keeps its ordered views equal to the live docs sorted, through updates and deletions', () => {
    expect(live.length).toBeGreaterThan(200);
    expect(ids(index.liveByMomentum())).toEqual(ids([...live].sort(byDesc((d) => d.momentum))));
    expect(ids(index.liveByHotness())).toEqual(ids([...live].sort(byDesc((d) => d.hotness))));
    expect(ids(index.liveWithOfferByHotness())).toEqual(
      ids(live.filter((d) => d.auction || d.giveaway).sort(byDesc((d) => d.hotness))),
    );
    for (const category of CATEGORIES)
      expect(ids(index.liveInCategory(category))).toEqual(
        ids(live.filter((d) => d.categoryIds.includes(category)).sort(byDesc((d) => d.momentum))),
      );
    expect(index.maxLiveHotness()).toBe(Math.max(...live.map((d) => f32(d.hotness))));
  });

  it('holds only the newest version of each stream', () => {
    for (const doc of live) expect(index.get(doc.livestreamId)).toBe(doc);
    expect(new Set(live.map((d) => d.livestreamId)).size).toBe(live.length);
  });
});

/**
 * The memory strategies read ordered views and stop early; here they must equal scoring every live doc.
 * Many equal scores, exclusions and small limits probe the stopping rules.
 */
describe('memory strategies read only the head of each order, with the result of a full scan', () => {
  const index = churnedIndex(2);
  const live = [...index.live()];
  const sut = new MemoryRetriever(index);
  const random = new SeededRandom(3);

  const fullScan = (limit: number, excluded: string[], score: (d: RetrievedDoc) => number | null) =>
    live
      .filter((d) => !excluded.includes(d.livestreamId))
      .flatMap((doc) => {
        const value = score(doc);
        return value === null ? [] : [{ livestreamId: doc.livestreamId, score: value }];
      })
      .sort((a, b) => compareCandidates(a as never, b as never))
      .slice(0, limit);
  const retrieved = async (
    request: Partial<RetrievalRequest> & Pick<RetrievalRequest, 'strategy' | 'limit'>,
  ) =>
    (
      await sut.retrieve({
        userId: 'u',
        followedSellers: [],
        categoryAffinities: {},
        now: NOW,
        ...request,
      })
    ).candidates.map((c) => ({ livestreamId: c.livestreamId, score: c.score }));

  const cases = Array.from({ length: 40 }, () => ({
    limit: random.pick([1, 3, 10, 50]),
    excluded: Array.from({ length: random.int(0, 20) }, () => `s${random.int(0, 400)}`),
    minMomentum: random.pick([0, 0, 0.5, 1.5]),
  }));

  it.each(cases)('trending %#', async ({ limit, excluded, minMomentum }) => {
    expect(
      await retrieved({ strategy: 'trending', limit, excludedIds: excluded, params: { minMomentum } }),
    ).toEqual(
      fullScan(limit, excluded, (d) =>
        f32(d.momentum) < f32(minMomentum)
          ? null
          : f32(f32(d.momentum) + f32(d.hotness) * f32(TRENDING_HOTNESS_WEIGHT)),
      ),
    );
  });

  it.each(cases)('category-affinity %#', async ({ limit, excluded, minMomentum }) => {
    const categoryAffinities = Object.fromEntries(
      CATEGORIES.filter(() => random.chance(0.5)).map((c) => [c, random.pick([0.5, 1, 1.25, 2, 3])]),
    );
    expect(
      await retrieved({
        strategy: 'category-affinity',
        limit,
        excludedIds: excluded,
        categoryAffinities,
        params: { minMomentum },
      }),
    ).toEqual(
      fullScan(limit, excluded, (d) => {
        const affinity = Math.max(0, ...d.categoryIds.map((c) => f32(categoryAffinities[c] ?? 0)));
        return affinity === 0 || f32(d.momentum) < f32(minMomentum) ? null : f32(f32(d.momentum) * affinity);
      }),
    );
  });

  it.each(cases)('new-user-hot %#', async ({ limit, excluded }) => {
    const running = (endsAt: string | undefined) => endsAt !== undefined && Date.parse(endsAt) > NOW;
    expect(await retrieved({ strategy: 'new-user-hot', limit, excludedIds: excluded })).toEqual(
      fullScan(limit, excluded, (d) =>
        f32(d.momentum) >= 1 &&
        d.seller.score !== null &&
        f32(d.seller.score) >= f32(0.5) &&
        (running(d.auction?.endsAt) || running(d.giveaway?.endsAt))
          ? f32(d.hotness)
          : null,
      ),
    );
  });

  it.each(cases)('similar-sellers %#', async ({ limit, excluded }) => {
    const user = [random.int(-2, 2), random.int(-2, 2), random.int(-2, 2), 1];
    const norm = Math.hypot(...user);
    const expected = fullScan(limit, excluded, (d) => {
      const e = d.seller.embedding;
      if (!e || e.every((x) => x === 0)) return null;
      const cosine = e.reduce((s, x, i) => s + x * user[i]!, 0) / (Math.hypot(...e) * norm);
      return cosine >= 0 ? f32((1 + cosine) / 2) : null;
    });
    const actual = await retrieved({
      strategy: 'similar-sellers',
      limit,
      excludedIds: excluded,
      userEmbedding: user,
    });
    expect(actual.map((c) => c.livestreamId)).toEqual(expected.map((c) => c.livestreamId));
  });
});
