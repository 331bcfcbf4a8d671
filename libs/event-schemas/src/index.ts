// class-transformer's @Type reads design-time metadata, so the polyfill must load before the event classes.
import 'reflect-metadata';

export * from './lib/backend-switch';
export * from './lib/decode-event';
export * from './lib/encode-event';
export * from './lib/envelope';
export * from './lib/event-registry';
export * from './lib/event-type.constants';
export * from './lib/events/commerce.events';
export * from './lib/events/engagement.events';
export * from './lib/events/livestream.events';
export * from './lib/events/user.events';
export * from './lib/json-schema';
export * from './lib/limits.constants';
export * from './lib/topics.constants';
export { Money, parseEventTime } from './lib/validators';
