import {
  type AuctionEndedEvent,
  type AuctionStartedEvent,
  type BidPlacedEvent,
  EventType,
  type GiveawayEndedEvent,
  type LivestreamStatusChangedEvent,
  type MarketplaceEvent,
  partitionKeyOf,
  type ProductListedEvent,
  type ProductPurchasedEvent,
  topicOf,
} from '@crest/event-schemas';

import { MarketplaceSimulator, type MarketplaceSimulatorOptions } from './marketplace-simulator';
import { decodeSimulatedItem, encodeSimulatedItem, type SimulatedItem } from './simulated-item';

const START = Date.parse('2026-01-01T00:00:00.000Z');

function run(sut: MarketplaceSimulator, seconds: number): SimulatedItem[] {
  const items: SimulatedItem[] = [];
  for (let s = 0; s < seconds; s++) items.push(...sut.advance(1_000));
  return items;
}

const eventsOf = (items: SimulatedItem[]): MarketplaceEvent[] =>
  items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));

const fingerprint = (items: SimulatedItem[]): string =>
  items.map((item) => encodeSimulatedItem(item).value.toString('base64')).join('\n');

const countBy = <T>(values: T[]): Map<T, number> => {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
};

describe('MarketplaceSimulator', () => {
  describe('determinism', () => {
    const options: MarketplaceSimulatorOptions = {
      seed: 7,
      eventsPerSecond: 2_000,
      malformedRate: 0.01,
      startTime: START,
    };

    it('replays the same 20,000 items for the same seed', () => {
      const first = run(new MarketplaceSimulator(options), 10);
      const second = run(new MarketplaceSimulator(options), 10);
      expect(first.length).toBe(20_000);
      expect(fingerprint(second)).toBe(fingerprint(first));
    });

    it('gives a different stream for a different seed', () => {
      const a = run(new MarketplaceSimulator({ ...options, seed: 1 }), 2);
      const b = run(new MarketplaceSimulator({ ...options, seed: 2 }), 2);
      expect(fingerprint(a)).not.toBe(fingerprint(b));
    });

    it('does not depend on how advance splits the time', () => {
      const whole = new MarketplaceSimulator(options).advance(10_000);
      const sut = new MarketplaceSimulator(options);
      const pieces: SimulatedItem[] = [];
      for (const ms of [0, 1, 37, 99, 100, 163, 1_000, 4_321, 4_279]) pieces.push(...sut.advance(ms));
      expect(sut.now()).toBe(START + 10_000);
      expect(fingerprint(pieces)).toBe(fingerprint(whole));
    });

    it('is not perturbed by reading the initial follow graph', () => {
      const sut = new MarketplaceSimulator(options);
      sut.initialFollowEvents();
      expect(fingerprint(run(sut, 2))).toBe(fingerprint(run(new MarketplaceSimulator(options), 2)));
    });

    it('starts seed 42 with the same first event on every machine', () => {
      const [first] = new MarketplaceSimulator({ startTime: START }).advance(1);
      expect(first).toEqual({
        kind: 'event',
        event: {
          eventId: expect.stringMatching(
            /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
          ),
          type: 'livestream.status-changed',
          version: 1,
          occurredAt: '2026-01-01T00:00:00.000Z',
          livestreamId: expect.any(String),
          sellerId: expect.any(String),
          payload: expect.objectContaining({ status: 'scheduled' }),
        },
      });
      const again = new MarketplaceSimulator({ startTime: START }).advance(1)[0];
      expect(again).toEqual(first);
    });
  });

  describe('seller features', () => {
    const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

    it('gives every seller a quality score and a unit embedding, the same for the same seed', () => {
      const features = new MarketplaceSimulator({ seed: 3, sellers: 50 }).sellerFeatures(8);

      expect(features).toHaveLength(50);
      expect(new MarketplaceSimulator({ seed: 3, sellers: 50 }).sellerFeatures(8)).toEqual(features);
      for (const { score, embedding } of features) {
        expect(score).toBeGreaterThanOrEqual(0.15);
        expect(score).toBeLessThanOrEqual(1);
        expect(embedding).toHaveLength(8);
        expect(Math.hypot(...embedding)).toBeCloseTo(1, 4);
      }
    });

    it('places sellers of the same categories closer than sellers of different ones', () => {
      const sim = new MarketplaceSimulator({ seed: 5, sellers: 300, categories: ['a', 'b', 'c', 'd'] });
      const features = sim.sellerFeatures();
      const categoriesOf = new Map<string, string>();
      for (const item of run(sim, 30)) {
        if (item.kind !== 'event' || item.event.type !== EventType.LivestreamStatusChanged) continue;
        const categories = item.event.payload.categoryIds;
        if (categories.length === 1) categoriesOf.set(item.event.sellerId, categories[0]!);
      }
      const byId = new Map(features.map((f) => [f.sellerId, f.embedding]));
      const sellers = [...categoriesOf.keys()];
      let same = 0;
      let sameCount = 0;
      let different = 0;
      let differentCount = 0;
      for (let i = 0; i < sellers.length; i++)
        for (let j = i + 1; j < sellers.length; j++) {
          const similarity = cosine(byId.get(sellers[i]!)!, byId.get(sellers[j]!)!);
          if (categoriesOf.get(sellers[i]!) === categoriesOf.get(sellers[j]!)) {
            same += similarity;
            sameCount++;
          } else {
            different += similarity;
            differentCount++;
          }
        }
      expect(sameCount).toBeGreaterThan(10);
      expect(same / sameCount).toBeGreaterThan(different / differentCount + 0.2);
    });
  });

  describe('the wire', () => {
    // Five minutes on a small marketplace so that every event type shows up, every one decoded.
    const sut = new MarketplaceSimulator({
      seed: 4,
      eventsPerSecond: 150,
      targetLiveStreams: 30,
      sellers: 100,
      users: 3_000,
      startTime: START,
    });
    const items = run(sut, 300);

    it('produces only events that decode', () => {
      const failures = items.flatMap((item) => {
        const result = decodeSimulatedItem(item, sut.now() + 1_000);
        return result.ok ? [] : [result.error.message];
      });
      expect(items.length).toBe(45_000);
      expect(failures).toEqual([]);
      expect(new Set(eventsOf(items).map((e) => e.type)).size).toBe(17);
    });

    it('routes each event the way a producer would: stream topics by stream, the user topic by user', () => {
      const expected: Record<string, [string, 'livestreamId' | 'userId']> = {
        'livestream.status-changed': ['marketplace.livestream.v1', 'livestreamId'],
        'product.listed': ['marketplace.livestream.v1', 'livestreamId'],
        'chat.sent': ['marketplace.engagement.v1', 'livestreamId'],
        'viewer.left': ['marketplace.engagement.v1', 'livestreamId'],
        'bid.placed': ['marketplace.commerce.v1', 'livestreamId'],
        'product.purchased': ['marketplace.commerce.v1', 'livestreamId'],
        'user.followed-seller': ['marketplace.user.v1', 'userId'],
        'user.unfollowed-category': ['marketplace.user.v1', 'userId'],
      };
      const wrong = eventsOf(items).flatMap((event) => {
        const message = encodeSimulatedItem({ kind: 'event', event });
        const rule = expected[event.type];
        const ok =
          message.topic === topicOf(event) &&
          message.key === partitionKeyOf(event) &&
          (!rule ||
            (message.topic === rule[0] &&
              message.key === (event as unknown as Record<string, string>)[rule[1]]));
        return ok ? [] : [`${event.type} -> ${message.topic}/${message.key}`];
      });
      expect(wrong).toEqual([]);
    });

    it('uses lowercase category slugs, USD, whole cents and ISO times in Z', () => {
      const text = items.map((item) => encodeSimulatedItem(item).value.toString()).join('\n');
      expect(text).not.toMatch(/"currency":"(?!USD")/);
      expect(text).not.toMatch(/"amountMinor":-?\d+\./);
      expect(text).not.toMatch(/"occurredAt":"(?!\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")/);
      expect(text).not.toMatch(/"categoryIds?":\[?"[^"]*[^a-z0-9"-]/);
    });
  });

  describe('a 10-minute run with malformed items mixed in', () => {
    const sut = new MarketplaceSimulator({
      seed: 11,
      eventsPerSecond: 400,
      targetLiveStreams: 40,
      sellers: 200,
      users: 5_000,
      malformedRate: 0.02,
      startTime: START,
    });
    const items = run(sut, 600);
    const events = eventsOf(items);

    it('keeps occurredAt non-decreasing', () => {
      const times = events.map((e) => Date.parse(e.occurredAt));
      expect(times.findIndex((t, i) => i > 0 && t < times[i - 1]!)).toBe(-1);
    });

    it('moves each stream through scheduled, live, ended, with stream events only while live', () => {
      const status = new Map<string, string>();
      const violations: string[] = [];
      const next: Record<string, string> = { none: 'scheduled', scheduled: 'live', live: 'ended' };
      for (const event of events) {
        if (event.type === EventType.LivestreamStatusChanged) {
          const to = (event as LivestreamStatusChangedEvent).payload.status;
          const from = status.get(event.livestreamId) ?? 'none';
          if (next[from] !== to) violations.push(`${event.livestreamId}: ${from} -> ${to}`);
          status.set(event.livestreamId, to);
        } else if ('livestreamId' in event && status.get(event.livestreamId) !== 'live') {
          violations.push(`${event.type} on a ${status.get(event.livestreamId) ?? 'unknown'} stream`);
        }
      }
      expect(violations).toEqual([]);
      const counts = countBy([...status.values()]);
      expect(counts.get('ended')).toBeGreaterThan(2);
      expect(counts.get('live')).toBeGreaterThan(30);
    });

    it('runs auctions on listed products, with rising bids before endsAt, won by the last bidder', () => {
      const listed = new Set<string>();
      const open = new Map<string, { endsAt: number; last?: BidPlacedEvent }>();
      const violations: string[] = [];
      let sold = 0;
      for (const event of events) {
        if (event.type === EventType.ProductListed)
          listed.add((event as ProductListedEvent).payload.productId);
        if (event.type === EventType.AuctionStarted) {
          const { auctionId, productId, endsAt } = (event as AuctionStartedEvent).payload;
          if (!listed.has(productId)) violations.push(`auction ${auctionId} of an unlisted product`);
          open.set(auctionId, { endsAt: Date.parse(endsAt) });
        }
        if (event.type === EventType.BidPlaced) {
          const bid = event as BidPlacedEvent;
          const auction = open.get(bid.payload.auctionId);
          if (!auction) violations.push(`bid on a closed auction`);
          else if (Date.parse(bid.occurredAt) >= auction.endsAt) violations.push(`bid after endsAt`);
          else if (auction.last && bid.payload.amount.amountMinor <= auction.last.payload.amount.amountMinor)
            violations.push(`bid not above the last one`);
          if (auction) auction.last = bid;
        }
        if (event.type === EventType.AuctionEnded) {
          const { auctionId, outcome, winningBid, winnerUserId } = (event as AuctionEndedEvent).payload;
          const last = open.get(auctionId)?.last;
          open.delete(auctionId);
          if (outcome === 'sold') {
            sold++;
            if (winnerUserId !== last?.userId || winningBid?.amountMinor !== last?.payload.amount.amountMinor)
              violations.push(`auction ${auctionId} not won by its last bid`);
          } else if (outcome === 'unsold' && last)
            violations.push(`auction ${auctionId} unsold despite bids`);
        }
      }
      expect(violations).toEqual([]);
      expect(sold).toBeGreaterThan(100);
    });

    it('sells buy-it-now products only after listing them, never beyond their quantity', () => {
      const stock = new Map<string, number>();
      const violations: string[] = [];
      for (const event of events) {
        if (event.type === EventType.ProductListed) {
          const { productId, quantity } = (event as ProductListedEvent).payload;
          stock.set(productId, quantity);
        }
        if (event.type === EventType.ProductPurchased) {
          const { productId, quantity } = (event as ProductPurchasedEvent).payload;
          const left = (stock.get(productId) ?? 0) - quantity;
          if (left < 0) violations.push(`${productId} oversold`);
          stock.set(productId, left);
        }
      }
      expect(violations).toEqual([]);
    });

    it('has a viewer leave only a stream they joined, and engage only while watching', () => {
      const watching = new Set<string>();
      const violations: string[] = [];
      for (const event of events) {
        if (!('userId' in event) || !('livestreamId' in event)) continue;
        const key = `${event.livestreamId}/${event.userId}`;
        if (event.type === EventType.ViewerJoined) {
          if (watching.has(key)) violations.push(`joined twice: ${key}`);
          watching.add(key);
        } else if (event.type === EventType.ViewerLeft) {
          if (!watching.delete(key)) violations.push(`left without joining: ${key}`);
        } else if (!watching.has(key)) {
          violations.push(`${event.type} from a user not watching`);
        }
      }
      expect(violations).toEqual([]);
    });

    it('draws giveaway winners from the entrants', () => {
      const entrants = new Map<string, Set<string>>();
      const violations: string[] = [];
      for (const event of events) {
        if (event.type === EventType.GiveawayStarted) entrants.set(event.payload.giveawayId, new Set());
        if (event.type === EventType.GiveawayEntered) {
          const set = entrants.get(event.payload.giveawayId);
          if (!set) violations.push('entry to a giveaway that is not running');
          set?.add(event.userId);
        }
        if (event.type === EventType.GiveawayEnded) {
          const { giveawayId, winnerUserId } = (event as GiveawayEndedEvent).payload;
          if (winnerUserId && !entrants.get(giveawayId)?.has(winnerUserId))
            violations.push('winner not an entrant');
          entrants.delete(giveawayId);
        }
      }
      expect(violations).toEqual([]);
    });

    it('has auction waves: some stream-minute with several times its 5-minute average of bids', () => {
      const bids = countBy(
        events.flatMap((e) =>
          e.type === EventType.BidPlaced
            ? [`${e.livestreamId}/${Math.floor((Date.parse(e.occurredAt) - START) / 60_000)}`]
            : [],
        ),
      );
      const waves = [...bids].filter(([key, count]) => {
        const [stream, minute] = key.split('/');
        let fiveMinutes = 0;
        for (let m = Number(minute) - 4; m <= Number(minute); m++)
          fiveMinutes += bids.get(`${stream}/${m}`) ?? 0;
        return Number(minute) >= 4 && count >= 10 && count >= 3 * (fiveMinutes / 5);
      });
      expect(waves.length).toBeGreaterThan(10);
    });

    it('skews popularity: the busiest tenth of streams draws over 30% of stream events', () => {
      const perStream = countBy(events.flatMap((e) => ('livestreamId' in e ? [e.livestreamId] : [])));
      const sorted = [...perStream.values()].sort((a, b) => b - a);
      const top = sorted.slice(0, Math.ceil(sorted.length / 10)).reduce((a, b) => a + b, 0);
      expect(top / sorted.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.3);
    });

    it('emits follows and unfollows of sellers and categories', () => {
      const types = countBy(events.map((e) => e.type));
      const follows = [
        EventType.UserFollowedSeller,
        EventType.UserUnfollowedSeller,
        EventType.UserFollowedCategory,
        EventType.UserUnfollowedCategory,
      ].map((type) => [type, (types.get(type) ?? 0) > 20]);
      expect(follows).toEqual([
        ['user.followed-seller', true],
        ['user.unfollowed-seller', true],
        ['user.followed-category', true],
        ['user.unfollowed-category', true],
      ]);
    });
  });

  describe('closing', () => {
    it('ends every live stream, its auction and giveaway first, and then has none live', () => {
      const sut = new MarketplaceSimulator({
        seed: 5,
        eventsPerSecond: 400,
        targetLiveStreams: 40,
        startTime: START,
      });
      const before = eventsOf(run(sut, 300));
      const running = (started: EventType, ended: EventType, id: (e: MarketplaceEvent) => string) => {
        const open = new Set<string>();
        for (const e of before)
          if (e.type === started) open.add(id(e));
          else if (e.type === ended) open.delete(id(e));
        return open;
      };
      const auctions = running(
        EventType.AuctionStarted,
        EventType.AuctionEnded,
        (e) => (e as AuctionStartedEvent).payload.auctionId,
      );
      const live = sut.liveStreamCount();

      const closing = eventsOf(sut.endLiveStreams());

      expect(live).toBeGreaterThan(30);
      expect(sut.liveStreamCount()).toBe(0);
      const ended = closing.filter((e) => e.type === EventType.LivestreamStatusChanged);
      expect(ended).toHaveLength(live);
      expect(ended.every((e) => (e as LivestreamStatusChangedEvent).payload.status === 'ended')).toBe(true);
      expect(
        new Set(
          closing
            .filter((e) => e.type === EventType.AuctionEnded)
            .map((e) => (e as AuctionEndedEvent).payload.auctionId),
        ),
      ).toEqual(auctions);
      // Each stream's auction and giveaway end before the stream does.
      const endedAt = new Map(ended.map((e) => [e.livestreamId, closing.indexOf(e)]));
      for (const [i, e] of closing.entries())
        if (e.type !== EventType.LivestreamStatusChanged && 'livestreamId' in e)
          expect(i).toBeLessThan(endedAt.get(e.livestreamId)!);
      expect(closing.every((e) => e.occurredAt === new Date(sut.now()).toISOString())).toBe(true);
    });
  });

  describe('rate', () => {
    it('holds 1,000 events/s over 60 s of virtual time', () => {
      const sut = new MarketplaceSimulator({ seed: 5, eventsPerSecond: 1_000, startTime: START });
      const count = run(sut, 60).length;
      expect(count).toBeGreaterThanOrEqual(58_800);
      expect(count).toBeLessThanOrEqual(61_200);
    });

    it('holds a trickle of 1 event/s by running fewer streams', () => {
      const sut = new MarketplaceSimulator({ seed: 5, eventsPerSecond: 1, startTime: START });
      expect(sut.effectiveLiveStreamTarget()).toBe(10);
      const count = run(sut, 600).length;
      expect(count).toBeGreaterThanOrEqual(570);
      expect(count).toBeLessThanOrEqual(630);
    });

    it('holds 50,000 events/s', () => {
      const sut = new MarketplaceSimulator({ seed: 5, eventsPerSecond: 50_000, startTime: START });
      expect(sut.effectiveLiveStreamTarget()).toBe(200);
      expect(run(sut, 2).length).toBe(100_000);
    });
  });

  describe('malformed items', () => {
    const sut = new MarketplaceSimulator({
      seed: 9,
      eventsPerSecond: 2_000,
      malformedRate: 0.05,
      startTime: START,
    });
    const items = run(sut, 20);
    const malformed = items.flatMap((item) => (item.kind === 'malformed' ? [item] : []));

    it('make up the configured share of items', () => {
      expect(malformed.length / items.length).toBeGreaterThan(0.045);
      expect(malformed.length / items.length).toBeLessThan(0.055);
    });

    it('each fail decodeEvent with exactly their stated code, across a variety of defects', () => {
      const mismatches = malformed.flatMap((item) => {
        const result = decodeSimulatedItem(item, sut.now() + 1_000);
        const code = result.ok ? 'decoded' : result.error.code;
        return code === item.expectedCode ? [] : [`${item.defect}: ${code} != ${item.expectedCode}`];
      });
      expect(mismatches).toEqual([]);
      expect(new Set(malformed.map((item) => item.defect)).size).toBe(37);
      expect(new Set(malformed.map((item) => item.expectedCode)).size).toBe(11);
    });

    it('go to the topic of the event the producer meant to send, keyed as it would be', () => {
      const topics = new Set(malformed.map((item) => item.topic));
      expect([...topics].sort()).toEqual([
        'marketplace.commerce.v1',
        'marketplace.engagement.v1',
        'marketplace.livestream.v1',
        'marketplace.user.v1',
      ]);
      const keyless = malformed.filter((item) => item.key === null).map((item) => item.defect);
      expect(new Set(keyless)).toEqual(new Set(['no livestream id']));
    });
  });

  it('lets new users in: some engage without following anyone', () => {
    const sut = new MarketplaceSimulator({ seed: 3, newUserShare: 0.5, users: 1_000, startTime: START });
    const followers = new Set(sut.initialFollowEvents().flatMap((e) => ('userId' in e ? [e.userId] : [])));
    const chatters = new Set(
      eventsOf(run(sut, 30)).flatMap((e) => (e.type === EventType.ChatSent ? [e.userId] : [])),
    );
    expect([...chatters].some((user) => !followers.has(user))).toBe(true);
    expect(followers.size).toBeGreaterThan(400);
    expect(followers.size).toBeLessThan(600);
  });

  it('uses the categories it is given', () => {
    const sut = new MarketplaceSimulator({ seed: 2, categories: ['sneakers', 'comics'], startTime: START });
    const categories = new Set(
      eventsOf(run(sut, 20)).flatMap((e) =>
        e.type === EventType.LivestreamStatusChanged ? e.payload.categoryIds : [],
      ),
    );
    expect([...categories].sort()).toEqual(['comics', 'sneakers']);
  });

  it('refuses impossible options, naming each', () => {
    expect(
      () =>
        new MarketplaceSimulator({
          eventsPerSecond: 0,
          sellers: 0,
          malformedRate: 2,
          categories: ['Comics'],
        }),
    ).toThrow(
      'invalid simulator options: sellers must be an integer from 1 to 1000000, got 0; ' +
        'eventsPerSecond must be from 1 to 50000, got 0; malformedRate must be from 0 to 1, got 2; ' +
        'categories must be lowercase slugs, got Comics',
    );
  });

  it('refuses to go back in time', () => {
    const sut = new MarketplaceSimulator({ startTime: START });
    expect(() => sut.advance(-1)).toThrow('advance needs a finite, non-negative duration in ms, got -1');
  });
});
