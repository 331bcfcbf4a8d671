import {
  type BidPlacedEvent,
  EventType,
  type LivestreamStatusChangedEvent,
  type MarketplaceEvent,
  partitionKeyOf,
  topicOf,
} from '@crest/event-schemas';

import { decodeSimulatedItem, MarketplaceSimulator, type SimulatedItem } from './marketplace-simulator';

const START = Date.parse('2026-01-01T00:00:00.000Z');

function run(simulator: MarketplaceSimulator, seconds: number): SimulatedItem[] {
  const items: SimulatedItem[] = [];
  for (let s = 0; s < seconds; s++) items.push(...simulator.advance(1_000));
  return items;
}

const eventsOf = (items: SimulatedItem[]): MarketplaceEvent[] =>
  items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));

const fingerprint = (items: SimulatedItem[]) =>
  items
    .map((item) => (item.kind === 'event' ? JSON.stringify(item.event) : item.value.toString('base64')))
    .join('\n');

describe('MarketplaceSimulator', () => {
  describe('determinism', () => {
    it('replays the same stream for the same seed', () => {
      const options = { seed: 7, eventsPerSecond: 2_000, malformedRate: 0.01, startTime: START };
      const first = run(new MarketplaceSimulator(options), 10);
      const second = run(new MarketplaceSimulator(options), 10);
      expect(first.length).toBe(20_000);
      expect(fingerprint(second)).toBe(fingerprint(first));
    });

    it('gives a different stream for a different seed', () => {
      const a = run(new MarketplaceSimulator({ seed: 1, startTime: START }), 2);
      const b = run(new MarketplaceSimulator({ seed: 2, startTime: START }), 2);
      expect(fingerprint(a)).not.toBe(fingerprint(b));
    });
  });

  describe('a 10-minute run', () => {
    const simulator = new MarketplaceSimulator({
      seed: 11,
      eventsPerSecond: 400,
      targetLiveStreams: 40,
      sellers: 200,
      users: 5_000,
      startTime: START,
    });
    const items = run(simulator, 600);
    const events = eventsOf(items);

    it('produces only events that decode, routed to their topic and key', () => {
      // Every 20th item plus the first 200 of each type: decoding the whole run would dominate the suite.
      const perType = new Map<string, number>();
      const sample = items.filter((item, i) => {
        const type = item.kind === 'event' ? item.event.type : 'malformed';
        perType.set(type, (perType.get(type) ?? 0) + 1);
        return i % 20 === 0 || perType.get(type)! <= 200;
      });
      const failures = sample.filter((item) => !decodeSimulatedItem(item, START + 601_000).ok);
      expect(failures).toEqual([]);
      for (const event of events.slice(0, 5_000)) {
        expect(typeof topicOf(event)).toBe('string');
        expect(partitionKeyOf(event)).toMatch(/^[0-9a-f-]{36}$/);
      }
    });

    it('keeps occurredAt non-decreasing', () => {
      const times = events.map((e) => Date.parse(e.occurredAt));
      expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    });

    it('moves each stream through scheduled, live, ended, with engagement only while live', () => {
      const status = new Map<string, string>();
      const violations: string[] = [];
      for (const event of events) {
        if (event.type === EventType.LivestreamStatusChanged) {
          const previous = status.get(event.livestreamId);
          const next = (event as LivestreamStatusChangedEvent).payload.status;
          const allowed = { undefined: 'scheduled', scheduled: 'live', live: 'ended' } as Record<
            string,
            string
          >;
          if (allowed[String(previous)] !== next)
            violations.push(`${event.livestreamId}: ${previous} -> ${next}`);
          status.set(event.livestreamId, next);
        } else if ('livestreamId' in event && status.get(event.livestreamId) !== 'live') {
          violations.push(`${event.type} on a ${status.get(event.livestreamId)} stream`);
        }
      }
      expect(violations).toEqual([]);
      const counts = [...status.values()].reduce<Record<string, number>>(
        (acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }),
        {},
      );
      expect(counts['ended']).toBeGreaterThan(3);
      expect(counts['live']).toBeGreaterThan(20);
    });

    it('raises bids within each auction', () => {
      const lastBid = new Map<string, number>();
      const falling: string[] = [];
      let bids = 0;
      for (const event of events) {
        if (event.type !== EventType.BidPlaced) continue;
        const { auctionId, amount } = (event as BidPlacedEvent).payload;
        if (amount.amountMinor <= (lastBid.get(auctionId) ?? 0))
          falling.push(`${auctionId}: ${amount.amountMinor}`);
        lastBid.set(auctionId, amount.amountMinor);
        bids++;
      }
      expect(falling).toEqual([]);
      expect(bids).toBeGreaterThan(500);
      expect(lastBid.size).toBeGreaterThan(30);
    });

    it('has a viewer leave only a stream they joined', () => {
      const watching = new Set<string>();
      const strangers: string[] = [];
      for (const event of events) {
        if (event.type === EventType.ViewerJoined) watching.add(`${event.livestreamId}/${event.userId}`);
        if (event.type === EventType.ViewerLeft) {
          if (!watching.delete(`${event.livestreamId}/${event.userId}`)) strangers.push(event.userId);
        }
      }
      expect(strangers).toEqual([]);
    });

    it('emits every kind of event', () => {
      expect(new Set(events.map((e) => e.type)).size).toBe(17);
    });

    it('has waves: a stream’s bids in some minute far above its 5-minute average', () => {
      const bidsPerStreamMinute = new Map<string, number>();
      for (const event of events) {
        if (event.type !== EventType.BidPlaced) continue;
        const minute = Math.floor((Date.parse(event.occurredAt) - START) / 60_000);
        const key = `${event.livestreamId}/${minute}`;
        bidsPerStreamMinute.set(key, (bidsPerStreamMinute.get(key) ?? 0) + 1);
      }
      const waves = [...bidsPerStreamMinute].filter(([key, count]) => {
        const [stream, minute] = key.split('/');
        let fiveMinutes = 0;
        for (let m = Number(minute) - 4; m <= Number(minute); m++)
          fiveMinutes += bidsPerStreamMinute.get(`${stream}/${m}`) ?? 0;
        return count >= 10 && count >= 3 * (fiveMinutes / 5) * 0.99;
      });
      expect(waves.length).toBeGreaterThan(10);
    });

    it('skews popularity: the busiest tenth of streams draws most engagement', () => {
      const perStream = new Map<string, number>();
      for (const event of events)
        if ('livestreamId' in event)
          perStream.set(event.livestreamId, (perStream.get(event.livestreamId) ?? 0) + 1);
      const sorted = [...perStream.values()].sort((a, b) => b - a);
      const top = sorted.slice(0, Math.ceil(sorted.length / 10)).reduce((a, b) => a + b, 0);
      expect(top / sorted.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.3);
    });
  });

  it('holds the configured rate', () => {
    const sut = new MarketplaceSimulator({ seed: 5, eventsPerSecond: 1_000, startTime: START });
    const count = run(sut, 60).length;
    expect(count).toBeGreaterThanOrEqual(58_800);
    expect(count).toBeLessThanOrEqual(61_200);
  });

  it('injects malformed events at the configured rate, each failing with its stated code', () => {
    const sut = new MarketplaceSimulator({
      seed: 9,
      eventsPerSecond: 2_000,
      malformedRate: 0.05,
      startTime: START,
    });
    const items = run(sut, 20);
    const malformed = items.filter((item) => item.kind === 'malformed');
    expect(malformed.length / items.length).toBeGreaterThan(0.04);
    expect(malformed.length / items.length).toBeLessThan(0.06);
    const mismatches = malformed.flatMap((item) => {
      const result = decodeSimulatedItem(item, sut.now());
      const code = result.ok ? 'decoded' : result.error.code;
      return item.kind === 'malformed' && code !== item.expectedCode
        ? [`${item.defect}: ${code} != ${item.expectedCode}`]
        : [];
    });
    expect(mismatches).toEqual([]);
    expect(new Set(malformed.map((item) => (item.kind === 'malformed' ? item.defect : ''))).size).toBe(20);
  });

  it('lets new users in: some engage without following anyone', () => {
    const sut = new MarketplaceSimulator({ seed: 3, newUserShare: 0.5, users: 1_000, startTime: START });
    const followers = new Set(sut.initialFollowEvents().flatMap((e) => ('userId' in e ? [e.userId] : [])));
    const engaged = new Set(
      eventsOf(run(sut, 30)).flatMap((e) => (e.type === EventType.ChatSent ? [e.userId] : [])),
    );
    expect([...engaged].some((user) => !followers.has(user))).toBe(true);
    expect(followers.size).toBeGreaterThan(300);
    expect(followers.size).toBeLessThan(700);
  });

  it('refuses impossible options, naming each', () => {
    expect(() => new MarketplaceSimulator({ eventsPerSecond: 0, sellers: 0, malformedRate: 2 })).toThrow(
      'invalid simulator options: sellers must be an integer from 1 to 1000000, got 0; ' +
        'eventsPerSecond must be in (0, 50000], got 0; malformedRate must be in [0, 1], got 2',
    );
  });
});
