import { encodeEvent, type MarketplaceEvent, partitionKeyOf, topicOf } from '@crest/event-schemas';

import { type EventBus, type OutgoingMessage, type PublishReceipt } from './event-bus.port';

/** Header naming the event type, so consumers can route or count without decoding. */
export const EVENT_TYPE_HEADER = 'crest.event-type';

/** The message for an event: its topic, its partition key, its JSON bytes. */
export function toMessage(event: MarketplaceEvent): OutgoingMessage {
  return {
    topic: topicOf(event),
    key: partitionKeyOf(event),
    value: encodeEvent(event),
    headers: { [EVENT_TYPE_HEADER]: event.type },
  };
}

export function publishEvents(bus: EventBus, events: readonly MarketplaceEvent[]): Promise<PublishReceipt[]> {
  return bus.publish(events.map(toMessage));
}
