import { type MarketplaceEvent } from './event-registry';

/** The wire form of an event: UTF-8 JSON of its fields, nothing else. decodeEvent reverses it. */
export function encodeEvent(event: MarketplaceEvent): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}
