import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { EXAMPLE_EVENTS } from '@crest/event-schemas/testing';
import { makeEvent } from '@crest/testing';

import { SignalPipeline } from '../signal-pipeline';
import { mergeUserSignals } from '../user-signals';
import { at, bidAt, chatAt } from './scenario-events';

const USER = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const SELLER = '0c7b1f3e-2d4a-4f1b-8e6c-5a9d3b2c1e00';
const live = makeEvent(EventType.LivestreamStatusChanged, { occurredAt: at(0) }) as MarketplaceEvent;
const follow = (
  seconds: number,
  type: typeof EventType.UserFollowedSeller | typeof EventType.UserUnfollowedSeller,
) => makeEvent(type, { occurredAt: at(seconds), userId: USER, sellerId: SELLER }) as MarketplaceEvent;

// Scenario: a user follows then unfollows a seller (arriving in reverse), follows a category, bids and
// chats on the seller's stream; an hour later the engagement weighs half.
describe('user signals', () => {
  const sut = new SignalPipeline({ allowedLatenessMs: 3_600_000 });
  sut.ingest([live, follow(20, EventType.UserUnfollowedSeller), follow(10, EventType.UserFollowedSeller)]);
  sut.ingest([
    makeEvent(EventType.UserFollowedCategory, { occurredAt: at(30), userId: USER }) as MarketplaceEvent,
  ]);
  sut.ingest([bidAt(100), chatAt(100, USER)]);

  it('keeps the newest follow state and the decayed engagement per seller and category', () => {
    expect(sut.userSignals(USER)).toEqual({
      userId: USER,
      followedSellers: [],
      followedCategories: [EXAMPLE_EVENTS[EventType.UserFollowedCategory].payload.categoryId],
      blockedSellers: [],
      sellerAffinity: { [SELLER]: 4 },
      categoryAffinity: { collectibles: 4, 'trading-cards': 4 },
      asOf: Date.parse(at(100)),
    });
  });

  it('halves engagement after one half-life of event time', () => {
    sut.ingest([chatAt(3_700, '00000000-0000-4000-8000-000000000abc')]);
    expect(sut.userSignals(USER).sellerAffinity).toEqual({ [SELLER]: 2 });
  });
});

// Scenario: a user blocks a seller, unblocks and blocks again, the events arriving out of order; a share
// published before blocks existed (no blockedSellers) still merges.
describe('blocked sellers', () => {
  const block = (
    seconds: number,
    type: typeof EventType.UserBlockedSeller | typeof EventType.UserUnblockedSeller,
  ) => makeEvent(type, { occurredAt: at(seconds), userId: USER, sellerId: SELLER }) as MarketplaceEvent;

  it('keeps the newest block or unblock, whatever the arrival order', () => {
    const sut = new SignalPipeline({ allowedLatenessMs: 3_600_000 });
    sut.ingest([block(30, EventType.UserBlockedSeller), block(10, EventType.UserBlockedSeller)]);
    sut.ingest([block(20, EventType.UserUnblockedSeller)]);
    expect(sut.userSignals(USER).blockedSellers).toEqual([SELLER]);

    sut.ingest([block(40, EventType.UserUnblockedSeller)]);
    expect(sut.userSignals(USER).blockedSellers).toEqual([]);
    // A block is not a follow, and a follow does not lift a block.
    sut.ingest([follow(50, EventType.UserFollowedSeller), block(60, EventType.UserBlockedSeller)]);
    expect(sut.userSignals(USER)).toMatchObject({ followedSellers: [SELLER], blockedSellers: [SELLER] });
  });

  it('publishes blocks in the share and reads shares that have none', () => {
    const sut = new SignalPipeline({ allowedLatenessMs: 3_600_000 });
    sut.ingest([block(10, EventType.UserBlockedSeller)]);
    const [share] = sut.takeChanges().userSignals;
    expect(share!.blockedSellers).toEqual({ [SELLER]: { following: true, at: Date.parse(at(10)) } });

    const { blockedSellers: _, ...before } = share!;
    expect(mergeUserSignals(USER, [before], Date.parse(at(10))).blockedSellers).toEqual([]);
    expect(mergeUserSignals(USER, [before, share!], Date.parse(at(10))).blockedSellers).toEqual([SELLER]);
  });
});

// Scenario: a user chats on a stream before its status event (another topic) arrives; once it does, the
// engagement counts for the seller, and the published share says so.
describe('user engagement read before its stream is known', () => {
  it('is attributed to the seller once the stream is', () => {
    const sut = new SignalPipeline();
    sut.ingest([chatAt(5, USER)]);
    expect(sut.userSignals(USER).sellerAffinity).toEqual({});
    sut.takeChanges();

    sut.ingest([live]);
    expect(sut.userSignals(USER).sellerAffinity).toEqual({ [SELLER]: 1 });
    const [share] = sut.takeChanges().userSignals;
    expect(share).toMatchObject({ userId: USER, sellerScores: { [SELLER]: { score: 1 } } });
  });
});

// Scenario: two ingestors each hold a share of one user's engagement (streams in different partitions);
// a reader merges the published shares into what one ingestor holding everything would say.
describe('merging user signal shares', () => {
  const OTHER_STREAM = '11111111-2222-4333-8444-555555555555';
  const OTHER_SELLER = '66666666-7777-4888-8999-aaaaaaaaaaaa';
  const otherLive = makeEvent(EventType.LivestreamStatusChanged, {
    occurredAt: at(0),
    livestreamId: OTHER_STREAM,
    sellerId: OTHER_SELLER,
  }) as MarketplaceEvent;
  const otherChat = (seconds: number) =>
    makeEvent(EventType.ChatSent, {
      occurredAt: at(seconds),
      userId: USER,
      livestreamId: OTHER_STREAM,
    }) as MarketplaceEvent;
  const origin = (topic: string, partition: number, offset: number) => ({
    topic,
    partition,
    offset: String(offset),
  });

  it('gives the signals of a single store', () => {
    const events = [live, otherLive, chatAt(10, USER), otherChat(20), chatAt(1_800, USER)];
    const whole = new SignalPipeline();
    whole.ingest(events);

    const first = new SignalPipeline();
    first.ingest(
      [live, chatAt(10, USER), chatAt(1_800, USER)],
      [
        origin('marketplace.livestream.v1', 0, 1),
        origin('marketplace.engagement.v1', 0, 1),
        origin('marketplace.engagement.v1', 0, 2),
      ],
    );
    const second = new SignalPipeline();
    second.ingest(
      [otherLive, otherChat(20)],
      [origin('marketplace.livestream.v1', 1, 1), origin('marketplace.engagement.v1', 1, 1)],
    );
    const shares = [...first.takeChanges().userSignals, ...second.takeChanges().userSignals];

    expect(shares.map((s) => s.source).sort()).toEqual(['streams-0', 'streams-1']);
    expect(mergeUserSignals(USER, shares, Date.parse(at(1_800)))).toEqual(whole.userSignals(USER));
  });
});
