import { EventType } from './event-type.constants';

const base = { version: 1, occurredAt: '2026-11-24T10:00:00.000Z' } as const;
const livestreamId = '6f1f8e55-7c0a-4d7e-9a31-0b7f4c2b9a10';
const sellerId = '0c7b1f3e-2d4a-4f1b-8e6c-5a9d3b2c1e00';
const userId = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const auctionId = '3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b';
const productId = 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e';
const giveawayId = 'c0ffee00-1234-4abc-9def-0123456789ab';

/**
 * One valid wire-form example per event type, used by round-trip tests, docs and the JSON Schema
 * `examples`. Plain objects, exactly as a producer would send them.
 */
export const EXAMPLE_EVENTS = {
  [EventType.LivestreamStatusChanged]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000001',
    type: EventType.LivestreamStatusChanged,
    livestreamId,
    sellerId,
    payload: {
      status: 'live',
      title: 'Vintage Pokémon cards: base set breaks',
      categoryIds: ['trading-cards', 'collectibles'],
      scheduledStartAt: '2026-11-24T09:55:00.000Z',
      thumbnailUrl: 'https://img.example.com/streams/1.jpg',
    },
  },
  [EventType.ViewerJoined]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000002',
    type: EventType.ViewerJoined,
    livestreamId,
    userId,
    payload: {},
  },
  [EventType.ViewerLeft]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000003',
    type: EventType.ViewerLeft,
    livestreamId,
    userId,
    payload: {},
  },
  [EventType.BidPlaced]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000004',
    type: EventType.BidPlaced,
    livestreamId,
    userId,
    sellerId,
    payload: { auctionId, productId, amount: { amountMinor: 12_500, currency: 'USD' } },
  },
  [EventType.ChatSent]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000005',
    type: EventType.ChatSent,
    livestreamId,
    userId,
    payload: { messageId: 'd4c3b2a1-0f9e-4d8c-8b7a-6f5e4d3c2b1a', text: 'that holo is insane 🔥' },
  },
  [EventType.ReactionSent]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000006',
    type: EventType.ReactionSent,
    livestreamId,
    userId,
    payload: { kind: 'fire' },
  },
  [EventType.GiveawayStarted]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000007',
    type: EventType.GiveawayStarted,
    livestreamId,
    sellerId,
    payload: { giveawayId, prize: 'Booster box', endsAt: '2026-11-24T10:05:00.000Z' },
  },
  [EventType.GiveawayEntered]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000008',
    type: EventType.GiveawayEntered,
    livestreamId,
    userId,
    payload: { giveawayId },
  },
  [EventType.GiveawayEnded]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000009',
    type: EventType.GiveawayEnded,
    livestreamId,
    sellerId,
    payload: { giveawayId, winnerUserId: userId },
  },
  [EventType.ProductListed]: {
    ...base,
    eventId: '00000000-0000-4000-8000-00000000000a',
    type: EventType.ProductListed,
    livestreamId,
    sellerId,
    payload: {
      productId,
      title: '1999 Charizard holo, PSA 8',
      categoryId: 'trading-cards',
      price: { amountMinor: 45_000, currency: 'USD' },
      quantity: 1,
    },
  },
  [EventType.ProductPurchased]: {
    ...base,
    eventId: '00000000-0000-4000-8000-00000000000b',
    type: EventType.ProductPurchased,
    livestreamId,
    userId,
    sellerId,
    payload: {
      orderId: 'e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a8b',
      productId,
      quantity: 2,
      total: { amountMinor: 3_998, currency: 'EUR' },
    },
  },
  [EventType.AuctionStarted]: {
    ...base,
    eventId: '00000000-0000-4000-8000-00000000000c',
    type: EventType.AuctionStarted,
    livestreamId,
    sellerId,
    payload: {
      auctionId,
      productId,
      startingBid: { amountMinor: 100, currency: 'USD' },
      endsAt: '2026-11-24T10:01:00.000Z',
    },
  },
  [EventType.AuctionEnded]: {
    ...base,
    eventId: '00000000-0000-4000-8000-00000000000d',
    type: EventType.AuctionEnded,
    livestreamId,
    sellerId,
    payload: {
      auctionId,
      productId,
      outcome: 'sold',
      winningBid: { amountMinor: 12_500, currency: 'USD' },
      winnerUserId: userId,
    },
  },
  [EventType.UserFollowedSeller]: {
    ...base,
    eventId: '00000000-0000-4000-8000-00000000000e',
    type: EventType.UserFollowedSeller,
    userId,
    sellerId,
    payload: {},
  },
  [EventType.UserUnfollowedSeller]: {
    ...base,
    eventId: '00000000-0000-4000-8000-00000000000f',
    type: EventType.UserUnfollowedSeller,
    userId,
    sellerId,
    payload: {},
  },
  [EventType.UserFollowedCategory]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000010',
    type: EventType.UserFollowedCategory,
    userId,
    payload: { categoryId: 'sneakers' },
  },
  [EventType.UserUnfollowedCategory]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000011',
    type: EventType.UserUnfollowedCategory,
    userId,
    payload: { categoryId: 'sneakers' },
  },
  [EventType.UserBlockedSeller]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000012',
    type: EventType.UserBlockedSeller,
    userId,
    sellerId,
    payload: {},
  },
  [EventType.UserUnblockedSeller]: {
    ...base,
    eventId: '00000000-0000-4000-8000-000000000013',
    type: EventType.UserUnblockedSeller,
    userId,
    sellerId,
    payload: {},
  },
} as const satisfies Record<EventType, object>;
