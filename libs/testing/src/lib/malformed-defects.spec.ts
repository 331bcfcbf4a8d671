import { decodeEvent, type EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { EXAMPLE_EVENTS } from '@crest/event-schemas/testing';

import { MALFORMED_DEFECTS } from './malformed-defects';

// The examples happened at 2026-11-24T10:00:00Z; the consumer reads them a minute later.
const NOW = Date.parse('2026-11-24T10:01:00.000Z');
const examples = Object.values(EXAMPLE_EVENTS) as unknown as MarketplaceEvent[];
const exampleOf = (type: EventType) => EXAMPLE_EVENTS[type] as unknown as MarketplaceEvent;

describe('MALFORMED_DEFECTS', () => {
  it('are 37, each named once', () => {
    const names = MALFORMED_DEFECTS.map((defect) => defect.name);
    expect(names.length).toBe(37);
    expect(new Set(names).size).toBe(37);
  });

  it('start from valid examples', () => {
    expect(examples.filter((event) => !decodeEvent(JSON.stringify(event), { now: NOW }).ok)).toEqual([]);
  });

  it.each(MALFORMED_DEFECTS.map((defect) => [defect.name, defect] as const))(
    '%s fails decodeEvent with its stated code on every event it applies to',
    (_name, defect) => {
      const templates = defect.template ? [exampleOf(defect.template)] : examples;
      const codes = templates.map((event) => {
        const wire = defect.corrupt(event);
        const result = decodeEvent(typeof wire === 'string' ? Buffer.from(wire) : wire, { now: NOW });
        return [event.type, result.ok ? 'decoded' : result.error.code];
      });
      expect(codes).toEqual(templates.map((event) => [event.type, defect.code]));
    },
  );
});
