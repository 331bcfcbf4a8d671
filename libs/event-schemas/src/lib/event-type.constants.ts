/**
 * Every event type Crest understands. The string is the wire value of the envelope's `type`.
 * Names are `<entity>.<past-tense verb>` so a topic consumer can route on a prefix.
 */
export const EventType = {
  LivestreamStatusChanged: 'livestream.status-changed',
  ViewerJoined: 'viewer.joined',
  ViewerLeft: 'viewer.left',
  BidPlaced: 'bid.placed',
  ChatSent: 'chat.sent',
  ReactionSent: 'reaction.sent',
  GiveawayStarted: 'giveaway.started',
  GiveawayEntered: 'giveaway.entered',
  GiveawayEnded: 'giveaway.ended',
  ProductListed: 'product.listed',
  ProductPurchased: 'product.purchased',
  AuctionStarted: 'auction.started',
  AuctionEnded: 'auction.ended',
  UserFollowedSeller: 'user.followed-seller',
  UserUnfollowedSeller: 'user.unfollowed-seller',
  UserFollowedCategory: 'user.followed-category',
  UserUnfollowedCategory: 'user.unfollowed-category',
  UserBlockedSeller: 'user.blocked-seller',
  UserUnblockedSeller: 'user.unblocked-seller',
} as const;

export type EventType = (typeof EventType)[keyof typeof EventType];

export const ALL_EVENT_TYPES: readonly EventType[] = Object.values(EventType);

export const LivestreamStatus = {
  Scheduled: 'scheduled',
  Live: 'live',
  Ended: 'ended',
} as const;
export type LivestreamStatus = (typeof LivestreamStatus)[keyof typeof LivestreamStatus];

export const ReactionKind = {
  Like: 'like',
  Heart: 'heart',
  Fire: 'fire',
  Laugh: 'laugh',
  Wow: 'wow',
  Clap: 'clap',
} as const;
export type ReactionKind = (typeof ReactionKind)[keyof typeof ReactionKind];

export const AuctionOutcome = {
  Sold: 'sold',
  Unsold: 'unsold',
  Cancelled: 'cancelled',
} as const;
export type AuctionOutcome = (typeof AuctionOutcome)[keyof typeof AuctionOutcome];
