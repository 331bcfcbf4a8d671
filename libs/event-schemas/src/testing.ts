export { EXAMPLE_EVENTS } from './lib/event-examples';
