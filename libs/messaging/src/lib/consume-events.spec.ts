import { EventType, type MarketplaceEvent, Topic } from '@crest/event-schemas';
import { EXAMPLE_EVENTS } from '@crest/event-schemas/testing';

import { eventually } from '../testing';
import { consumeMarketplaceEvents, DECODE_ERROR_CODE_HEADER } from './consume-events';
import { DeadLetterHeader } from './dead-letter';
import { type ConsumedMessage } from './event-bus.port';
import { InProcessEventBus } from './in-process-event-bus';
import { publishEvents } from './publish-events';

describe('consumeMarketplaceEvents', () => {
  it('hands over valid events and dead-letters the rest with the decode error', async () => {
    const sut = new InProcessEventBus({ defaultPartitions: 2 });
    const received: MarketplaceEvent[] = [];
    const dlq: ConsumedMessage[] = [];
    await consumeMarketplaceEvents(sut, {
      groupId: 'test',
      fromBeginning: true,
      onEvents: (events) => void received.push(...events),
    });
    await sut.subscribe({
      groupId: 'dlq-reader',
      topics: [`${Topic.Commerce}.dlq`],
      fromBeginning: true,
      eachMessage: async (message, context) => {
        dlq.push(message);
        context.ack();
      },
    });

    const bid = { ...EXAMPLE_EVENTS[EventType.BidPlaced], occurredAt: new Date().toISOString() };
    await publishEvents(sut, [bid as unknown as MarketplaceEvent]);
    await sut.publish([{ topic: Topic.Commerce, key: bid.livestreamId, value: '{"type":"bid.placed"' }]);

    await eventually(() => received.length === 1 && dlq.length === 1, 'one event and one dead letter');
    expect(received[0]!.eventId).toBe(bid.eventId);
    expect(dlq[0]!.value.toString()).toBe('{"type":"bid.placed"');
    expect(dlq[0]!.headers[DECODE_ERROR_CODE_HEADER]).toBe('not_json');
    expect(dlq[0]!.headers[DeadLetterHeader.Reason]).toMatch(/^not_json: event is not JSON: /);
    await sut.close();
  });
});
