import {
  type DecodeErrorCode,
  decodeEvent,
  type DecodeResult,
  encodeEvent,
  type MarketplaceEvent,
  partitionKeyOf,
  topicOf,
} from '@crest/event-schemas';

/**
 * One thing a producer sends: a valid event, or bytes a faulty producer sent in its place, labelled with
 * what is wrong and the code `decodeEvent` gives it.
 */
export type SimulatedItem =
  | { kind: 'event'; event: MarketplaceEvent }
  | {
      kind: 'malformed';
      /** The topic the producer meant it for (that of the event type it was trying to send). */
      topic: string;
      /** The partition key the producer used; null when the key field is the thing it left out. */
      key: string | null;
      value: Buffer;
      /** What is wrong, in a few words, e.g. `negative money`. */
      defect: string;
      /** The code `decodeEvent(value, { now })` returns for it. */
      expectedCode: DecodeErrorCode;
    };

/** A message as a producer would publish it: topic, key, UTF-8 JSON bytes. */
export interface SimulatedMessage {
  topic: string;
  key: string | null;
  value: Buffer;
}

/** The message a producer would publish for an item: routed by `topicOf`/`partitionKeyOf`, JSON encoded. */
export function encodeSimulatedItem(item: SimulatedItem): SimulatedMessage {
  if (item.kind === 'malformed') return { topic: item.topic, key: item.key, value: item.value };
  return { topic: topicOf(item.event), key: partitionKeyOf(item.event), value: encodeEvent(item.event) };
}

/** Decodes an item the way the ingest edge will: a valid event must decode, a malformed one must not. */
export function decodeSimulatedItem(item: SimulatedItem, now: number): DecodeResult {
  return decodeEvent(encodeSimulatedItem(item).value, { now });
}
