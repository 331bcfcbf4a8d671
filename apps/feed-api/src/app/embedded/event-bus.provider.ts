import { type EventBus, InProcessEventBus } from '@crest/messaging';
import { type Provider } from '@nestjs/common';

export const EVENT_BUS = Symbol('EVENT_BUS');

/** Embedded mode's bus: in-process, Kafka's semantics. The Kafka adapter replaces it when configured. */
export const inProcessEventBusProvider: Provider<EventBus> = {
  provide: EVENT_BUS,
  useFactory: () => new InProcessEventBus({ defaultPartitions: 6 }),
};
