import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

import { EventType } from '@crest/event-schemas';
import { Experiments } from '@crest/experiments';
import { makeEvent } from '@crest/testing';

import { eventually, FeedApiProcess, type GraphQLAnswer, ROOT } from '../app-process';

/**
 * feed-api in embedded mode, as `npx nx serve feed-api` runs it (simulator, signal pipeline, memory
 * retrieval, in-process ranking, the example GrowthBook payload with its live A/B test), driven over HTTP.
 */
const PAYLOAD_FILE = join(ROOT, 'libs/experiments/payloads/home-feed.example.json');
const EMBEDDED_ENV = {
  SIMULATOR_EVENTS_PER_SECOND: '1000',
  SIMULATOR_LIVE_STREAMS: '300',
  GROWTHBOOK_PAYLOAD_FILE: PAYLOAD_FILE,
  RATE_LIMIT_PER_SECOND: '0',
};

interface Card {
  id: string;
  sellerId: string | null;
  status: string;
}
interface CarouselNode {
  id: string;
  servedBy: { retrieval: string | null; retrievalReason: string | null; ranking: string | null };
  items: { edges: Array<{ node: Card }> };
}
interface HomeFeedData {
  homeFeed: { edges: Array<{ node: CarouselNode }> };
}
interface CarouselPage {
  carousel: { edges: Array<{ node: { id: string } }>; pageInfo: { endCursor: string | null } };
}
interface LiveDoc {
  livestreamId: string;
  sellerId: string;
  categoryIds: string[];
}

const HOME = `{ homeFeed(first: 10) { edges { node {
  id servedBy { retrieval retrievalReason ranking }
  items { edges { node { id sellerId status } } }
} } } }`;

const now = () => new Date().toISOString();
const followSeller = (userId: string, sellerId: string) =>
  makeEvent(EventType.UserFollowedSeller, { userId, sellerId, occurredAt: now() });
const blockSeller = (userId: string, sellerId: string) =>
  makeEvent(EventType.UserBlockedSeller, { userId, sellerId, occurredAt: now() });
const followCategory = (userId: string, categoryId: string) =>
  makeEvent(EventType.UserFollowedCategory, { userId, occurredAt: now(), payload: { categoryId } });
const streamStatus = (
  livestreamId: string,
  sellerId: string,
  status: 'live' | 'ended',
  categoryIds: string[],
) =>
  makeEvent(EventType.LivestreamStatusChanged, {
    livestreamId,
    sellerId,
    occurredAt: now(),
    payload: {
      status,
      title: 'e2e: a stream that just went live',
      categoryIds,
      scheduledStartAt: now(),
      thumbnailUrl: 'https://img.example.com/e2e.jpg',
    },
  } as never);

describe('home feed end to end (embedded feed-api process)', () => {
  let feed: FeedApiProcess;
  let experiments: Experiments;
  let live: LiveDoc[];

  const homeFeedOf = async (user?: string): Promise<CarouselNode[]> => {
    const answer = await feed.graphql<HomeFeedData>(HOME, {}, user);
    if (answer.errors) throw new Error(JSON.stringify(answer.errors));
    return answer.data!.homeFeed.edges.map((e) => e.node);
  };
  /** The carousel order GrowthBook assigns a returning user (the A/B test's variation). */
  const assignedOrder = (userId: string) =>
    experiments
      .forRequest({ userId, newUser: false })
      .feedConfig()
      .config.carousels.filter((c) => c.audience !== 'new')
      .map((c) => c.id);
  /** A fresh user id in the variation whose first returning carousel is `first`. */
  const userAssigned = (first: string) => {
    for (;;) {
      const id = randomUUID();
      if (assignedOrder(id)[0] === first) return id;
    }
  };
  /** Makes a returning user: follows three live sellers and their categories, waits until the feed knows. */
  const makeFollower = async (userId: string) => {
    const sellers = [...new Set(live.map((d) => d.sellerId))].slice(0, 3);
    const categories = [
      ...new Set(live.filter((d) => sellers.includes(d.sellerId)).flatMap((d) => d.categoryIds)),
    ];
    await feed.publish([
      ...sellers.map((s) => followSeller(userId, s)),
      ...categories.map((c) => followCategory(userId, c)),
    ]);
    await eventually(`${userId} to get the following carousel`, async () =>
      (await homeFeedOf(userId)).some((c) => c.id === 'following') ? true : undefined,
    );
    return new Set(sellers);
  };

  beforeAll(async () => {
    experiments = await Experiments.start({ payloadFile: PAYLOAD_FILE });
    feed = await FeedApiProcess.startFeedApi(29_710, EMBEDDED_ENV);
    live = await eventually('100 live streams in the embedded marketplace', async () => {
      const { items } = await feed.get<{ items: LiveDoc[] }>('/livestreams?limit=100');
      return items.length === 100 ? items : undefined;
    });
  });
  afterAll(async () => {
    experiments?.stop();
    await feed?.stop();
  });

  it('gives a new user the new-user carousel first and nothing that needs a history', async () => {
    // new-user-hot shows streams at a wave with an auction or giveaway running; the simulator's first
    // auctions start 10-90 s after a stream goes live, so a fresh marketplace needs a while to have 3.
    const user = randomUUID();
    const carousels = await eventually(
      'the new-user carousel',
      async () => {
        const feedOf = await homeFeedOf(user);
        return feedOf.some((c) => c.id === 'new-user-hot') ? feedOf : undefined;
      },
      90_000,
      500,
    );
    expect(carousels[0]!.id).toBe('new-user-hot');
    expect(carousels.map((c) => c.id)).not.toContain('following');
    expect(carousels.map((c) => c.id)).not.toContain('for-you');
  });

  it('shows a follower the streams of the sellers they follow first', async () => {
    const userId = userAssigned('following');
    const followed = await makeFollower(userId);
    const carousels = await homeFeedOf(userId);
    expect(carousels[0]!.id).toBe('following');
    const sellers = carousels[0]!.items.edges.map((e) => e.node.sellerId);
    expect(sellers.length).toBeGreaterThan(0);
    expect(sellers.every((s) => s !== null && followed.has(s))).toBe(true);
    expect(carousels.map((c) => c.id)).not.toContain('new-user-hot');
  });

  it('orders carousels by the experiment variation the user is assigned', async () => {
    const control = userAssigned('following');
    const treatment = userAssigned('for-you');
    await makeFollower(control);
    await makeFollower(treatment);
    const orderOf = async (userId: string) => {
      const shown = (await homeFeedOf(userId)).map((c) => c.id);
      return { shown, assigned: assignedOrder(userId).filter((id) => shown.includes(id)) };
    };
    const a = await orderOf(control);
    const b = await orderOf(treatment);
    expect(a.shown).toEqual(a.assigned);
    expect(b.shown).toEqual(b.assigned);
    expect(a.shown.slice(0, 2)).toEqual(['following', 'for-you']);
    expect(b.shown.slice(0, 2)).toEqual(['for-you', 'following']);
  });

  it('scrolls a carousel 10 pages without a duplicate', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const answer: GraphQLAnswer<CarouselPage> = await feed.graphql<CarouselPage>(
        `query ($after: String) { carousel(id: "trending", first: 5, after: $after) {
          edges { node { id } } pageInfo { endCursor } } }`,
        { after },
        'e2e-scroller',
      );
      expect(answer.errors).toBeUndefined();
      seen.push(...answer.data!.carousel.edges.map((e) => e.node.id));
      after = answer.data!.carousel.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(50);
    expect(new Set(seen).size).toBe(50);
  });

  it('shows a stream that just went live within 1 s, and drops it once it ended', async () => {
    const userId = userAssigned('following');
    await makeFollower(userId);
    const sellerId = randomUUID();
    const livestreamId = randomUUID();
    await feed.publish([followSeller(userId, sellerId)]);
    const inFollowing = async () =>
      (await homeFeedOf(userId))
        .find((c) => c.id === 'following')
        ?.items.edges.some((e) => e.node.id === livestreamId) ?? false;

    const wentLive = Date.now();
    await feed.publish([streamStatus(livestreamId, sellerId, 'live', [live[0]!.categoryIds[0]!])]);
    await eventually(
      'the new stream in the following carousel',
      async () => ((await inFollowing()) ? true : undefined),
      1_000,
    );
    const appearedMs = Date.now() - wentLive;

    const ended = Date.now();
    await feed.publish([streamStatus(livestreamId, sellerId, 'ended', [live[0]!.categoryIds[0]!])]);
    await eventually(
      'the ended stream to leave the feed',
      async () => ((await inFollowing()) ? undefined : true),
      1_000,
    );
    expect(appearedMs).toBeLessThanOrEqual(1_000);
    expect(Date.now() - ended).toBeLessThanOrEqual(1_100);
  });

  it('leaves out every stream of a seller the user blocked, in every carousel', async () => {
    const userId = userAssigned('following');
    await makeFollower(userId);
    const sellersShown = async () =>
      new Set((await homeFeedOf(userId)).flatMap((c) => c.items.edges.map((e) => e.node.sellerId)));
    // A followed seller shown now (a stream of the ones followed may have ended since).
    const following = (await homeFeedOf(userId)).find((c) => c.id === 'following')!;
    const blocked = following.items.edges[0]!.node.sellerId!;

    await feed.publish([blockSeller(userId, blocked)]);
    await eventually('the blocked seller to leave the feed', async () =>
      (await sellersShown()).has(blocked) ? undefined : true,
    );
    // Another user following the seller still sees it.
    const other = userAssigned('following');
    await feed.publish([followSeller(other, blocked)]);
    await eventually('the seller in the other user’s following carousel', async () =>
      (await homeFeedOf(other))
        .find((c) => c.id === 'following')
        ?.items.edges.some((e) => e.node.sellerId === blocked)
        ? true
        : undefined,
    );
  });
});

describe('home feed end to end, ranking-service unreachable', () => {
  it('falls back to retrieval order, says so, and still answers', async () => {
    // Nothing listens on port 9 (discard): every Rank call fails fast with UNAVAILABLE.
    const feed = await FeedApiProcess.startFeedApi(29_711, {
      ...EMBEDDED_ENV,
      RANKING_GRPC_URL: '127.0.0.1:9',
    });
    try {
      const carousels = await eventually('a feed with carousels', async () => {
        const answer = await feed.graphql<HomeFeedData>(HOME, {}, randomUUID());
        const nodes = answer.data?.homeFeed.edges.map((e) => e.node) ?? [];
        return nodes.length > 0 ? nodes : undefined;
      });
      for (const carousel of carousels) {
        expect(carousel.servedBy).toEqual({
          retrieval: 'memory',
          retrievalReason: 'primary',
          ranking: 'retrieval-order',
        });
        expect(carousel.items.edges.length).toBeGreaterThan(0);
      }
    } finally {
      await feed.stop();
    }
  });
});
