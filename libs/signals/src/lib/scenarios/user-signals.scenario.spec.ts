import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { EXAMPLE_EVENTS } from '@crest/event-schemas/testing';
import { makeEvent } from '@crest/testing';

import { SignalPipeline } from '../signal-pipeline';
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
