import {
  type DecodeErrorCode,
  EventType,
  type MarketplaceEvent,
  MAX_AMOUNT_MINOR,
  MAX_CHAT_LENGTH,
  MAX_EVENT_BYTES,
  MAX_EVENT_DEPTH,
} from '@crest/event-schemas';

/** The event types malformed items are made from: what the busiest producers send. */
export const CORRUPTIBLE_EVENT_TYPES = [
  EventType.ChatSent,
  EventType.ReactionSent,
  EventType.BidPlaced,
  EventType.GiveawayEntered,
  EventType.ProductPurchased,
  EventType.ViewerJoined,
  EventType.ProductListed,
  EventType.UserFollowedSeller,
  EventType.UserFollowedCategory,
] as const;
export type CorruptibleEventType = (typeof CORRUPTIBLE_EVENT_TYPES)[number];

/** One way a producer gets an event wrong, and the error `decodeEvent` gives it. */
export interface MalformedDefect {
  /** What is wrong, in a few words; becomes `SimulatedItem.defect`. */
  readonly name: string;
  /** The code `decodeEvent` reports for the corrupted bytes, whatever the consumer clock (after 2000). */
  readonly code: DecodeErrorCode;
  /** The event type the defect needs (money defects corrupt a bid, say); undefined: any event. */
  readonly template?: CorruptibleEventType;
  /** The producer had no key to send: the missing field is the partition key. */
  readonly keyless?: boolean;
  /** The wire bytes (or text, UTF-8 encoded) the faulty producer sends instead of `event`. */
  corrupt(event: MarketplaceEvent): string | Buffer;
}

const json = (event: MarketplaceEvent, changes: Record<string, unknown>): string =>
  JSON.stringify({ ...event, ...changes });

const withPayload = (event: MarketplaceEvent, changes: Record<string, unknown>): string =>
  json(event, { payload: { ...event.payload, ...changes } });

const withAmount = (event: MarketplaceEvent, amount: Record<string, unknown>): string => {
  const payload = event.payload as { amount?: object };
  return withPayload(event, { amount: { ...payload.amount, ...amount } });
};

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/**
 * The defects the simulator injects. Each is checked against `decodeEvent` in malformed-defects.spec.ts:
 * defects without a template against every event type, the others against their template.
 */
export const MALFORMED_DEFECTS: readonly MalformedDefect[] = [
  // Bytes that are not an event object at all.
  { name: 'empty message', code: 'empty', corrupt: () => '' },
  { name: 'not JSON', code: 'not_json', corrupt: (e) => `type=${e.type}&id=${e.eventId}` },
  {
    name: 'truncated JSON',
    code: 'not_json',
    corrupt: (e) => {
      const text = JSON.stringify(e);
      return text.slice(0, Math.floor(text.length * 0.6));
    },
  },
  { name: 'JSON array', code: 'not_an_object', corrupt: (e) => JSON.stringify([e]) },
  { name: 'JSON null', code: 'not_an_object', corrupt: () => 'null' },
  {
    name: 'Latin-1 bytes instead of UTF-8',
    code: 'not_utf8',
    template: EventType.ChatSent,
    corrupt: (e) => Buffer.from(withPayload(e, { text: 'très cher, ça vaut le coup' }), 'latin1'),
  },
  {
    name: 'too large',
    code: 'too_large',
    corrupt: (e) => json(e, { padding: 'x'.repeat(MAX_EVENT_BYTES) }),
  },
  {
    name: 'nested too deep',
    code: 'too_deep',
    corrupt: (e) => json(e, { payload: nested(MAX_EVENT_DEPTH + 4) }),
  },
  // Envelope: type and version.
  { name: 'no type', code: 'missing_type', corrupt: (e) => json(e, { type: undefined }) },
  { name: 'type not a string', code: 'missing_type', corrupt: (e) => json(e, { type: 17 }) },
  { name: 'unknown type', code: 'unknown_type', corrupt: (e) => json(e, { type: 'bid.retracted' }) },
  {
    name: 'type in the wrong case',
    code: 'unknown_type',
    corrupt: (e) => json(e, { type: e.type.toUpperCase() }),
  },
  { name: 'unsupported version', code: 'unsupported_version', corrupt: (e) => json(e, { version: 2 }) },
  { name: 'version as text', code: 'invalid_version', corrupt: (e) => json(e, { version: '1' }) },
  { name: 'no version', code: 'invalid_version', corrupt: (e) => json(e, { version: undefined }) },
  // Envelope: ids, times, shape.
  { name: 'event id not a uuid', code: 'validation_failed', corrupt: (e) => json(e, { eventId: 'evt-123' }) },
  { name: 'no event id', code: 'validation_failed', corrupt: (e) => json(e, { eventId: undefined }) },
  {
    name: 'timestamp before 2000',
    code: 'validation_failed',
    corrupt: (e) => json(e, { occurredAt: '1970-01-01T00:00:00.000Z' }),
  },
  {
    name: 'timestamp far in the future',
    code: 'validation_failed',
    corrupt: (e) => json(e, { occurredAt: '2999-01-01T00:00:00.000Z' }),
  },
  {
    name: 'timestamp without zone',
    code: 'validation_failed',
    corrupt: (e) => json(e, { occurredAt: e.occurredAt.replace('Z', '') }),
  },
  {
    name: 'timestamp as epoch millis',
    code: 'validation_failed',
    corrupt: (e) => json(e, { occurredAt: Date.parse(e.occurredAt) }),
  },
  {
    name: 'impossible date',
    code: 'validation_failed',
    corrupt: (e) => json(e, { occurredAt: `2026-02-30${e.occurredAt.slice(10)}` }),
  },
  { name: 'unknown field', code: 'validation_failed', corrupt: (e) => json(e, { debug: true }) },
  {
    name: '__proto__ key',
    code: 'validation_failed',
    corrupt: (e) => `{"__proto__":{"admin":true},${JSON.stringify(e).slice(1)}`,
  },
  { name: 'no payload', code: 'validation_failed', corrupt: (e) => json(e, { payload: undefined }) },
  {
    name: 'no livestream id',
    code: 'validation_failed',
    template: EventType.ChatSent,
    keyless: true,
    corrupt: (e) => json(e, { livestreamId: undefined }),
  },
  {
    name: 'user id not a uuid',
    code: 'validation_failed',
    template: EventType.ChatSent,
    corrupt: (e) => json(e, { userId: 'user-42' }),
  },
  // Payload fields.
  {
    name: 'negative money',
    code: 'validation_failed',
    template: EventType.BidPlaced,
    corrupt: (e) => withAmount(e, { amountMinor: -2_500 }),
  },
  {
    name: 'fractional money',
    code: 'validation_failed',
    template: EventType.BidPlaced,
    corrupt: (e) => withAmount(e, { amountMinor: 12.5 }),
  },
  {
    name: 'money over the limit',
    code: 'validation_failed',
    template: EventType.BidPlaced,
    corrupt: (e) => withAmount(e, { amountMinor: MAX_AMOUNT_MINOR + 1 }),
  },
  {
    name: 'money as a decimal string',
    code: 'validation_failed',
    template: EventType.BidPlaced,
    corrupt: (e) => withAmount(e, { amountMinor: '25.00' }),
  },
  {
    name: 'lowercase currency',
    code: 'validation_failed',
    template: EventType.BidPlaced,
    corrupt: (e) => withAmount(e, { currency: 'usd' }),
  },
  {
    name: 'unknown currency',
    code: 'validation_failed',
    template: EventType.BidPlaced,
    corrupt: (e) => withAmount(e, { currency: 'ABC' }),
  },
  {
    name: 'chat text too long',
    code: 'validation_failed',
    template: EventType.ChatSent,
    corrupt: (e) => withPayload(e, { text: 'a'.repeat(MAX_CHAT_LENGTH + 1) }),
  },
  {
    name: 'empty chat text',
    code: 'validation_failed',
    template: EventType.ChatSent,
    corrupt: (e) => withPayload(e, { text: '' }),
  },
  {
    name: 'category not a slug',
    code: 'validation_failed',
    template: EventType.UserFollowedCategory,
    corrupt: (e) => withPayload(e, { categoryId: 'Trading Cards' }),
  },
  {
    name: 'unknown reaction',
    code: 'validation_failed',
    template: EventType.ReactionSent,
    corrupt: (e) => withPayload(e, { kind: 'thumbs-down' }),
  },
];
