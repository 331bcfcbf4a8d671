import 'reflect-metadata';

import { EXAMPLE_EVENTS } from '../testing';
import { decodeEvent, type DecodeResult } from './decode-event';
import { encodeEvent } from './encode-event';
import { type MarketplaceEvent } from './event-registry';
import { ALL_EVENT_TYPES, EventType } from './event-type.constants';

const NOW = Date.parse('2026-11-24T10:00:30.000Z');
const bid = EXAMPLE_EVENTS[EventType.BidPlaced];
const statusChanged = EXAMPLE_EVENTS[EventType.LivestreamStatusChanged];
const chat = EXAMPLE_EVENTS[EventType.ChatSent];

function decode(input: string | Uint8Array): DecodeResult {
  return decodeEvent(input, { now: NOW });
}

function withChanges(base: object, changes: Record<string, unknown>): string {
  return JSON.stringify({ ...base, ...changes });
}

function expectFailure(result: DecodeResult) {
  if (result.ok) throw new Error(`expected a decode error, got a ${result.event.type} event`);
  return result.error;
}

describe('decodeEvent', () => {
  describe('round-trips every valid event type', () => {
    it.each(ALL_EVENT_TYPES)('%s', (type) => {
      const wire = JSON.stringify(EXAMPLE_EVENTS[type]);
      const sut = decode(wire);
      if (!sut.ok) throw new Error(`${type}: ${sut.error.message}`);
      expect(sut.event.type).toBe(type);
      expect(JSON.parse(encodeEvent(sut.event).toString('utf8'))).toEqual(EXAMPLE_EVENTS[type]);
      const again = decode(encodeEvent(sut.event as MarketplaceEvent));
      expect(again.ok && JSON.parse(JSON.stringify(again.event))).toEqual(EXAMPLE_EVENTS[type]);
    });

    it('decodes bytes as well as strings', () => {
      const sut = decode(Buffer.from(JSON.stringify(bid)));
      expect(sut.ok && sut.event.type).toBe('bid.placed');
    });
  });

  describe('reports exactly what is wrong', () => {
    it('empty input', () => {
      expect(expectFailure(decode('  \n'))).toEqual({
        code: 'empty',
        message: 'event is empty',
        violations: [],
      });
    });

    it('too large', () => {
      const big = withChanges(chat, {
        payload: { messageId: chat.payload.messageId, text: 'x'.repeat(70_000) },
      });
      expect(expectFailure(decode(big))).toMatchObject({
        code: 'too_large',
        message: `event is ${Buffer.byteLength(big)} bytes; the limit is 65536`,
      });
    });

    it('too large as bytes, with a custom limit', () => {
      const error = expectFailure(decodeEvent(Buffer.alloc(2_000, 0x20), { maxBytes: 1_024 }));
      expect(error).toMatchObject({ code: 'too_large', message: 'event is 2000 bytes; the limit is 1024' });
    });

    it('invalid UTF-8', () => {
      const bytes = Buffer.concat([
        Buffer.from('{"type":"bid.placed","x":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}'),
      ]);
      expect(expectFailure(decode(bytes))).toMatchObject({
        code: 'not_utf8',
        message: 'event bytes are not valid UTF-8',
      });
    });

    it('not JSON', () => {
      const error = expectFailure(decode('type=bid.placed'));
      expect(error.code).toBe('not_json');
      expect(error.message).toMatch(/^event is not JSON: Unexpected token/);
    });

    it('truncated JSON', () => {
      const wire = JSON.stringify(bid);
      const error = expectFailure(decode(wire.slice(0, wire.length / 2)));
      expect(error.code).toBe('not_json');
      expect(error.message).toMatch(/^event is not JSON: /);
    });

    it.each([
      ['[1,2]', 'event must be a JSON object, got an array'],
      ['null', 'event must be a JSON object, got null'],
      ['"bid.placed"', 'event must be a JSON object, got a string'],
      ['42', 'event must be a JSON object, got a number'],
    ])('not an object: %s', (wire, message) => {
      expect(expectFailure(decode(wire))).toEqual({ code: 'not_an_object', message, violations: [] });
    });

    it('nested too deep', () => {
      let nested: unknown = 'leaf';
      for (let i = 0; i < 50; i++) nested = { n: nested };
      const error = expectFailure(decode(withChanges(bid, { payload: nested })));
      expect(error.code).toBe('too_deep');
      expect(error.message).toBe('event nests deeper than 8 levels (at payload.n.n.n.n.n.n.n)');
    });

    it('pathologically deep arrays do not crash the decoder', () => {
      const wire = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      expect(expectFailure(decodeEvent(wire, { maxBytes: 1_000_000 })).code).toMatch(
        /^(not_json|not_an_object)$/,
      );
    });

    it('prototype-polluting key', () => {
      const wire = JSON.stringify(bid).replace('"payload":{', '"payload":{"__proto__":{"admin":true},');
      expect(expectFailure(decode(wire))).toMatchObject({
        code: 'validation_failed',
        violations: [
          { path: 'payload.__proto__', rule: 'forbiddenKey', message: 'property __proto__ is not allowed' },
        ],
      });
      expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
    });

    it('missing type', () => {
      const { type: _type, ...rest } = bid;
      expect(expectFailure(decode(JSON.stringify(rest)))).toEqual({
        code: 'missing_type',
        message: 'event has no "type" field',
        violations: [],
      });
    });

    it('type of the wrong kind', () => {
      expect(expectFailure(decode(withChanges(bid, { type: 7 })))).toMatchObject({
        code: 'missing_type',
        message: '"type" must be a string',
      });
    });

    it('unknown type', () => {
      expect(expectFailure(decode(withChanges(bid, { type: 'bid.retracted' })))).toEqual({
        code: 'unknown_type',
        message: 'unknown event type "bid.retracted"',
        violations: [],
      });
    });

    it('missing version', () => {
      const { version: _version, ...rest } = bid;
      expect(expectFailure(decode(JSON.stringify(rest)))).toEqual({
        code: 'invalid_version',
        message: '"version" must be a positive integer',
        violations: [],
        type: 'bid.placed',
      });
    });

    it('fractional version', () => {
      expect(expectFailure(decode(withChanges(bid, { version: 1.5 }))).code).toBe('invalid_version');
    });

    it('unsupported version', () => {
      expect(expectFailure(decode(withChanges(bid, { version: 2 })))).toEqual({
        code: 'unsupported_version',
        message: 'bid.placed version 2 is not supported (supported: 1)',
        violations: [],
        type: 'bid.placed',
      });
    });

    it('eventId not a uuid', () => {
      expect(expectFailure(decode(withChanges(bid, { eventId: 'bid-1' })))).toEqual({
        code: 'validation_failed',
        message: 'bid.placed v1 is invalid: eventId must be a UUID',
        violations: [{ path: 'eventId', rule: 'isUuid', message: 'eventId must be a UUID' }],
        type: 'bid.placed',
      });
    });

    it('occurredAt without a zone', () => {
      expect(
        expectFailure(decode(withChanges(bid, { occurredAt: '2026-11-24T10:00:00' }))).violations,
      ).toEqual([
        {
          path: 'occurredAt',
          rule: 'isEventTime',
          message: 'occurredAt must be an RFC 3339 timestamp with a zone, e.g. 2026-11-24T10:00:00.000Z',
        },
      ]);
    });

    it('impossible calendar date', () => {
      const error = expectFailure(decode(withChanges(bid, { occurredAt: '2026-02-30T10:00:00Z' })));
      expect(error.violations.map((v) => `${v.path}/${v.rule}`)).toEqual(['occurredAt/isEventTime']);
    });

    it('event time before 2000 (epoch seconds mistaken for millis)', () => {
      expect(
        expectFailure(decode(withChanges(bid, { occurredAt: '1970-01-21T06:00:00Z' }))).violations,
      ).toEqual([
        {
          path: 'occurredAt',
          rule: 'isEventTime',
          message: 'occurredAt must not be before 2000-01-01T00:00:00Z',
        },
      ]);
    });

    it('event time in the future beyond the skew', () => {
      expect(
        expectFailure(decode(withChanges(bid, { occurredAt: '2026-11-24T11:00:00Z' }))).violations,
      ).toEqual([
        {
          path: 'occurredAt',
          rule: 'isEventTime',
          message: 'occurredAt must not be in the future (more than 300 s ahead of the consumer clock)',
        },
      ]);
    });

    it('missing partition key', () => {
      const { livestreamId: _id, ...rest } = bid;
      expect(expectFailure(decode(JSON.stringify(rest))).violations).toEqual([
        { path: 'livestreamId', rule: 'isUuid', message: 'livestreamId must be a UUID' },
      ]);
    });

    it('negative amount', () => {
      const wire = withChanges(bid, {
        payload: { ...bid.payload, amount: { amountMinor: -5, currency: 'USD' } },
      });
      expect(expectFailure(decode(wire)).violations).toEqual([
        {
          path: 'payload.amount.amountMinor',
          rule: 'min',
          message: 'payload.amount.amountMinor must not be less than 0',
        },
      ]);
    });

    it('fractional amount (money must be integer minor units)', () => {
      const wire = withChanges(bid, {
        payload: { ...bid.payload, amount: { amountMinor: 12.5, currency: 'USD' } },
      });
      expect(expectFailure(decode(wire)).violations).toEqual([
        {
          path: 'payload.amount.amountMinor',
          rule: 'isInt',
          message: 'payload.amount.amountMinor must be an integer number',
        },
      ]);
    });

    it('overflowing amount', () => {
      const wire = JSON.stringify(bid).replace('"amountMinor":12500', '"amountMinor":1e300');
      expect(expectFailure(decode(wire)).violations).toEqual([
        {
          path: 'payload.amount.amountMinor',
          rule: 'max',
          message: 'payload.amount.amountMinor must not be greater than 1000000000000',
        },
      ]);
    });

    it('amount as a string', () => {
      const wire = withChanges(bid, {
        payload: { ...bid.payload, amount: { amountMinor: '125', currency: 'USD' } },
      });
      expect(expectFailure(decode(wire)).violations.map((v) => `${v.path}/${v.rule}`)).toEqual([
        'payload.amount.amountMinor/isInt',
        'payload.amount.amountMinor/max',
        'payload.amount.amountMinor/min',
      ]);
    });

    it('bad currency code', () => {
      const wire = withChanges(bid, {
        payload: { ...bid.payload, amount: { amountMinor: 1, currency: 'usd' } },
      });
      expect(expectFailure(decode(wire)).violations).toEqual([
        {
          path: 'payload.amount.currency',
          rule: 'matches',
          message: 'payload.amount.currency must be three uppercase letters, e.g. USD',
        },
      ]);
    });

    it('unknown currency code', () => {
      const wire = withChanges(bid, {
        payload: { ...bid.payload, amount: { amountMinor: 1, currency: 'ABC' } },
      });
      expect(expectFailure(decode(wire)).violations).toEqual([
        {
          path: 'payload.amount.currency',
          rule: 'isISO4217CurrencyCode',
          message: 'payload.amount.currency must be a valid ISO4217 currency code',
        },
      ]);
    });

    it('chat text too long', () => {
      const wire = withChanges(chat, { payload: { ...chat.payload, text: 'a'.repeat(501) } });
      expect(expectFailure(decode(wire)).violations).toEqual([
        {
          path: 'payload.text',
          rule: 'maxLength',
          message: 'payload.text must be shorter than or equal to 500 characters',
        },
      ]);
    });

    it('chat text empty', () => {
      const wire = withChanges(chat, { payload: { ...chat.payload, text: '' } });
      expect(expectFailure(decode(wire)).violations.map((v) => `${v.path}/${v.rule}`)).toEqual([
        'payload.text/minLength',
      ]);
    });

    it('too many categories, one of them not a slug', () => {
      const categoryIds = ['a', 'b', 'c', 'd', 'e', 'Not A Slug'];
      const wire = withChanges(statusChanged, { payload: { ...statusChanged.payload, categoryIds } });
      expect(expectFailure(decode(wire)).violations).toEqual([
        {
          path: 'payload.categoryIds',
          rule: 'arrayMaxSize',
          message: 'payload.categoryIds must contain no more than 5 elements',
        },
        {
          path: 'payload.categoryIds',
          rule: 'matches',
          message: 'each value in payload.categoryIds must be a lowercase slug such as "trading-cards"',
        },
      ]);
    });

    it('unknown enum value', () => {
      const wire = withChanges(statusChanged, { payload: { ...statusChanged.payload, status: 'paused' } });
      expect(expectFailure(decode(wire)).violations).toEqual([
        {
          path: 'payload.status',
          rule: 'isIn',
          message: 'payload.status must be one of the following values: scheduled, live, ended',
        },
      ]);
    });

    it('thumbnail that is not https', () => {
      const wire = withChanges(statusChanged, {
        payload: { ...statusChanged.payload, thumbnailUrl: 'javascript:alert(1)' },
      });
      expect(expectFailure(decode(wire)).violations.map((v) => `${v.path}/${v.rule}`)).toEqual([
        'payload.thumbnailUrl/isUrl',
      ]);
    });

    it('unknown field, at the top and inside the payload', () => {
      const wire = withChanges(bid, { priority: 'high', payload: { ...bid.payload, note: 'x' } });
      expect(expectFailure(decode(wire)).violations).toEqual([
        { path: 'payload.note', rule: 'whitelistValidation', message: 'property note should not exist' },
        { path: 'priority', rule: 'whitelistValidation', message: 'property priority should not exist' },
      ]);
    });

    it('field in an event that carries no payload fields', () => {
      const joined = EXAMPLE_EVENTS[EventType.ViewerJoined];
      expect(expectFailure(decode(withChanges(joined, { payload: { seat: 'A1' } }))).violations).toEqual([
        { path: 'payload.seat', rule: 'whitelistValidation', message: 'property seat should not exist' },
      ]);
    });

    it('payload missing', () => {
      const { payload: _payload, ...rest } = bid;
      expect(
        expectFailure(decode(JSON.stringify(rest))).violations.map((v) => `${v.path}/${v.rule}`),
      ).toContain('payload/isDefined');
    });

    it('payload of the wrong kind', () => {
      const error = expectFailure(decode(withChanges(bid, { payload: 'bid' })));
      expect(error.violations.map((v) => `${v.path}/${v.rule}`)).toEqual(['payload/nestedValidation']);
    });

    it('every failing field at once, sorted by path', () => {
      const wire = withChanges(bid, {
        eventId: 'nope',
        userId: 3,
        payload: {
          auctionId: 'x',
          productId: bid.payload.productId,
          amount: { amountMinor: -1, currency: 'XXXX' },
        },
      });
      const error = expectFailure(decode(wire));
      expect(error.violations.map((v) => `${v.path}/${v.rule}`)).toEqual([
        'eventId/isUuid',
        'payload.amount.amountMinor/min',
        'payload.amount.currency/isISO4217CurrencyCode',
        'payload.amount.currency/matches',
        'payload.auctionId/isUuid',
        'userId/isUuid',
      ]);
      expect(error.message).toBe(
        'bid.placed v1 is invalid: eventId must be a UUID; payload.amount.amountMinor must not be less than 0; ' +
          'payload.amount.currency must be a valid ISO4217 currency code; ' +
          'payload.amount.currency must be three uppercase letters, e.g. USD; payload.auctionId must be a UUID; ' +
          'userId must be a UUID',
      );
    });
  });
});
