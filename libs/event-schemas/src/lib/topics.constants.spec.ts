import { EXAMPLE_EVENTS } from '../testing';
import { type MarketplaceEvent } from './event-registry';
import { ALL_EVENT_TYPES, EventType } from './event-type.constants';
import { deadLetterTopicOf, partitionKeyOf, Topic, topicOf } from './topics.constants';

describe('topics and partition keys', () => {
  it('routes every event type to a marketplace topic', () => {
    for (const type of ALL_EVENT_TYPES) expect(Object.values(Topic)).toContain(topicOf({ type }));
  });

  it('keys stream events by livestream and user events by user', () => {
    const bid = EXAMPLE_EVENTS[EventType.BidPlaced] as unknown as MarketplaceEvent;
    const follow = EXAMPLE_EVENTS[EventType.UserFollowedSeller] as unknown as MarketplaceEvent;
    expect([topicOf(bid), partitionKeyOf(bid)]).toEqual([
      'marketplace.commerce.v1',
      '6f1f8e55-7c0a-4d7e-9a31-0b7f4c2b9a10',
    ]);
    expect([topicOf(follow), partitionKeyOf(follow)]).toEqual([
      'marketplace.user.v1',
      '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
    ]);
  });

  it('names the dead-letter topic after its source', () => {
    expect(deadLetterTopicOf(Topic.Engagement)).toBe('marketplace.engagement.v1.dlq');
  });
});
