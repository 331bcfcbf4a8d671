import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { makeEvent } from '@crest/testing';

/** Events on one stream at given times, for the window scenarios. Times are seconds after T0. */
export const T0 = Date.parse('2026-11-24T10:00:00.000Z');
export const STREAM = '6f1f8e55-7c0a-4d7e-9a31-0b7f4c2b9a10';
export const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

export function bidAt(
  seconds: number,
  amountMinor = 1_000,
  userId = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
): MarketplaceEvent {
  const example = makeEvent(EventType.BidPlaced);
  return makeEvent(EventType.BidPlaced, {
    occurredAt: at(seconds),
    userId,
    payload: { ...example.payload, amount: { amountMinor, currency: 'USD' } },
  }) as MarketplaceEvent;
}

export function chatAt(seconds: number, userId?: string): MarketplaceEvent {
  return makeEvent(EventType.ChatSent, {
    occurredAt: at(seconds),
    ...(userId ? { userId } : {}),
  }) as MarketplaceEvent;
}

/** A UUID-shaped user id from a number, so tests can make many distinct users. */
export function userId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}
