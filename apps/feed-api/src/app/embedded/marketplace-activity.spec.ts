import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { EXAMPLE_EVENTS } from '@crest/event-schemas/testing';

import { MarketplaceActivity } from './marketplace-activity';

const live = EXAMPLE_EVENTS[EventType.LivestreamStatusChanged] as unknown as MarketplaceEvent;
const chat = EXAMPLE_EVENTS[EventType.ChatSent] as unknown as MarketplaceEvent;
const ended = {
  ...EXAMPLE_EVENTS[EventType.LivestreamStatusChanged],
  payload: { ...EXAMPLE_EVENTS[EventType.LivestreamStatusChanged].payload, status: 'ended' },
} as unknown as MarketplaceEvent;

describe('MarketplaceActivity', () => {
  it('counts events of the last ten seconds and ranks live streams by the last minute', () => {
    let now = Date.parse('2026-11-24T10:00:00.000Z');
    const sut = new MarketplaceActivity(() => now);
    sut.record([live, chat, chat]);
    now += 30_000;
    sut.record([chat]);

    expect(sut.snapshot()).toEqual({
      at: '2026-11-24T10:00:30.000Z',
      liveStreams: 1,
      eventsPerSecondLast10s: 0,
      eventsLast10sByType: { 'chat.sent': 1 },
      hottestLastMinute: [
        {
          livestreamId: '6f1f8e55-7c0a-4d7e-9a31-0b7f4c2b9a10',
          title: 'Vintage Pokémon cards: base set breaks',
          categoryIds: ['trading-cards', 'collectibles'],
          events: 3,
        },
      ],
    });
  });

  it('forgets a stream when it ends', () => {
    const sut = new MarketplaceActivity(() => 0);
    sut.record([live, ended]);
    expect(sut.snapshot().liveStreams).toBe(0);
  });
});
