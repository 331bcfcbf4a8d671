import { type EventEnvelope } from './envelope';
import { EventType } from './event-type.constants';
import { BidPlacedEvent, ProductPurchasedEvent } from './events/commerce.events';
import {
  ChatSentEvent,
  GiveawayEnteredEvent,
  ReactionSentEvent,
  ViewerJoinedEvent,
  ViewerLeftEvent,
} from './events/engagement.events';
import {
  AuctionEndedEvent,
  AuctionStartedEvent,
  GiveawayEndedEvent,
  GiveawayStartedEvent,
  LivestreamStatusChangedEvent,
  ProductListedEvent,
} from './events/livestream.events';
import {
  UserBlockedSellerEvent,
  UserFollowedCategoryEvent,
  UserFollowedSellerEvent,
  UserUnblockedSellerEvent,
  UserUnfollowedCategoryEvent,
  UserUnfollowedSellerEvent,
} from './events/user.events';

/** Every event Crest accepts, discriminated by `type`. */
export type MarketplaceEvent =
  | LivestreamStatusChangedEvent
  | ViewerJoinedEvent
  | ViewerLeftEvent
  | BidPlacedEvent
  | ChatSentEvent
  | ReactionSentEvent
  | GiveawayStartedEvent
  | GiveawayEnteredEvent
  | GiveawayEndedEvent
  | ProductListedEvent
  | ProductPurchasedEvent
  | AuctionStartedEvent
  | AuctionEndedEvent
  | UserFollowedSellerEvent
  | UserUnfollowedSellerEvent
  | UserFollowedCategoryEvent
  | UserUnfollowedCategoryEvent
  | UserBlockedSellerEvent
  | UserUnblockedSellerEvent;

/** The event class for a type, e.g. `EventOf<'bid.placed'>` is `BidPlacedEvent`. */
export type EventOf<T extends EventType> = Extract<MarketplaceEvent, { type: T }>;

type EventClass = new () => EventEnvelope;

/**
 * type -> version -> class. A new version of a type is one more entry here plus its class; decodeEvent
 * and the JSON Schema generator pick it up from this table.
 */
export const EVENT_CLASSES: Readonly<Record<EventType, Readonly<Record<number, EventClass>>>> = {
  [EventType.LivestreamStatusChanged]: { 1: LivestreamStatusChangedEvent },
  [EventType.ViewerJoined]: { 1: ViewerJoinedEvent },
  [EventType.ViewerLeft]: { 1: ViewerLeftEvent },
  [EventType.BidPlaced]: { 1: BidPlacedEvent },
  [EventType.ChatSent]: { 1: ChatSentEvent },
  [EventType.ReactionSent]: { 1: ReactionSentEvent },
  [EventType.GiveawayStarted]: { 1: GiveawayStartedEvent },
  [EventType.GiveawayEntered]: { 1: GiveawayEnteredEvent },
  [EventType.GiveawayEnded]: { 1: GiveawayEndedEvent },
  [EventType.ProductListed]: { 1: ProductListedEvent },
  [EventType.ProductPurchased]: { 1: ProductPurchasedEvent },
  [EventType.AuctionStarted]: { 1: AuctionStartedEvent },
  [EventType.AuctionEnded]: { 1: AuctionEndedEvent },
  [EventType.UserFollowedSeller]: { 1: UserFollowedSellerEvent },
  [EventType.UserUnfollowedSeller]: { 1: UserUnfollowedSellerEvent },
  [EventType.UserFollowedCategory]: { 1: UserFollowedCategoryEvent },
  [EventType.UserUnfollowedCategory]: { 1: UserUnfollowedCategoryEvent },
  [EventType.UserBlockedSeller]: { 1: UserBlockedSellerEvent },
  [EventType.UserUnblockedSeller]: { 1: UserUnblockedSellerEvent },
};

export function isKnownEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_CLASSES, type);
}
