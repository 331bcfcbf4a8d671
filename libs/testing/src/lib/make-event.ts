import { type EventOf, type EventType } from '@crest/event-schemas';
import { EXAMPLE_EVENTS } from '@crest/event-schemas/testing';

import { SeededRandom } from './seeded-random';

const ids = new SeededRandom(20_261_124);

/**
 * A valid event of `type` for tests: the documented example with a fresh `eventId`, plus `overrides`
 * (shallow; pass a whole `payload` to change it). The ids are seeded, so every process makes the same
 * sequence: against a shared broker, where the ingestor deduplicates by id across runs, pass `eventId`.
 */
export function makeEvent<T extends EventType>(type: T, overrides: Partial<EventOf<T>> = {}): EventOf<T> {
  return {
    ...structuredClone(EXAMPLE_EVENTS[type]),
    eventId: ids.uuid(),
    ...overrides,
  } as unknown as EventOf<T>;
}
