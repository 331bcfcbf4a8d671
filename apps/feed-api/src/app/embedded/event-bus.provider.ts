import { type EventBus, InProcessEventBus, KafkaEventBus } from '@crest/messaging';
import { type Provider } from '@nestjs/common';

import { type FeedApiConfig } from '../feed-api.config';

export const EVENT_BUS = Symbol('EVENT_BUS');

/** Kafka when KAFKA_BROKERS is set; otherwise embedded mode's in-process bus, which keeps Kafka's semantics. */
export function eventBusProvider(config: FeedApiConfig): Provider<EventBus> {
  return {
    provide: EVENT_BUS,
    useFactory: () =>
      config.KAFKA_BROKERS
        ? new KafkaEventBus({ brokers: config.KAFKA_BROKERS, clientId: 'feed-api', createTopics: true })
        : new InProcessEventBus({ defaultPartitions: 6 }),
  };
}
