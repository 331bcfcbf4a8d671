export * from './lib/catch-up';
export * from './lib/consume-events';
export * from './lib/dead-letter';
export * from './lib/event-bus.port';
export * from './lib/in-process-event-bus';
export * from './lib/kafka-event-bus';
export * from './lib/key-partitioner';
export * from './lib/publish-events';
