import { decodeEvent, EventType } from '@crest/event-schemas';
import { EXAMPLE_EVENTS } from '@crest/event-schemas/testing';

import { makeEvent } from './make-event';

describe('makeEvent', () => {
  it('builds a valid event of the type from its example, with a fresh event id', () => {
    const sut = makeEvent(EventType.BidPlaced);
    expect(decodeEvent(JSON.stringify(sut), { now: Date.parse('2026-11-24T10:01:00.000Z') }).ok).toBe(true);
    expect(sut).toEqual({ ...EXAMPLE_EVENTS[EventType.BidPlaced], eventId: expect.any(String) });
    expect(sut.eventId).not.toBe(EXAMPLE_EVENTS[EventType.BidPlaced].eventId);
    expect(makeEvent(EventType.BidPlaced).eventId).not.toBe(sut.eventId);
  });

  it('applies shallow overrides and never shares state with the example', () => {
    const sut = makeEvent(EventType.ChatSent, {
      occurredAt: '2026-11-24T10:00:05.000Z',
      payload: { messageId: '5b1e7c0e-8a57-4e0c-9f4a-2f0d6c1b3a99', text: 'gg' },
    });
    sut.livestreamId = 'changed';
    expect(sut.occurredAt).toBe('2026-11-24T10:00:05.000Z');
    expect(sut.payload.text).toBe('gg');
    expect(EXAMPLE_EVENTS[EventType.ChatSent].livestreamId).toBe('6f1f8e55-7c0a-4d7e-9a31-0b7f4c2b9a10');
  });
});
