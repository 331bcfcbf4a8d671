import { type MarketplaceEvent } from './event-registry';
import { type EventType, EventType as T } from './event-type.constants';

/** Versioned topic names. A breaking change to a topic's contract means a new `.v2` topic, not an edit. */
export const Topic = {
  Livestream: 'marketplace.livestream.v1',
  Engagement: 'marketplace.engagement.v1',
  Commerce: 'marketplace.commerce.v1',
  User: 'marketplace.user.v1',
} as const;
export type Topic = (typeof Topic)[keyof typeof Topic];

export const MARKETPLACE_TOPICS: readonly Topic[] = Object.values(Topic);

/**
 * Compacted topic of the latest livestream doc per stream, keyed by stream id (written by the ingestor,
 * read by every feed-api's memory replica). A null value (tombstone) removes an ended stream.
 */
export const LIVESTREAM_STATE_TOPIC = 'discovery.livestream-state.v1';

/**
 * Compacted topic of user signals (follows, decayed engagement per seller and category), as shares keyed
 * `<userId>|<source>`: each share has one writer (see UserSignalsShare in @crest/signals); readers merge a
 * user's shares.
 */
export const USER_SIGNALS_TOPIC = 'discovery.user-signals.v1';

/**
 * Experiment exposures (which variation of which experiment a user was served), keyed by user id, written
 * by feed-api once per user, experiment and session. Value: `{ experiment, variation, userId, sessionId, at }`.
 */
export const EXPOSURES_TOPIC = 'discovery.exposures.v1';

/** Where a topic's undecodable or unprocessable messages go, with the reason in headers. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

/** Which topic each event type is published to. */
export const TOPIC_OF_EVENT_TYPE: Readonly<Record<EventType, Topic>> = {
  [T.LivestreamStatusChanged]: Topic.Livestream,
  [T.ProductListed]: Topic.Livestream,
  [T.AuctionStarted]: Topic.Livestream,
  [T.AuctionEnded]: Topic.Livestream,
  [T.GiveawayStarted]: Topic.Livestream,
  [T.GiveawayEnded]: Topic.Livestream,
  [T.ViewerJoined]: Topic.Engagement,
  [T.ViewerLeft]: Topic.Engagement,
  [T.ChatSent]: Topic.Engagement,
  [T.ReactionSent]: Topic.Engagement,
  [T.GiveawayEntered]: Topic.Engagement,
  [T.BidPlaced]: Topic.Commerce,
  [T.ProductPurchased]: Topic.Commerce,
  [T.UserFollowedSeller]: Topic.User,
  [T.UserUnfollowedSeller]: Topic.User,
  [T.UserFollowedCategory]: Topic.User,
  [T.UserUnfollowedCategory]: Topic.User,
  [T.UserBlockedSeller]: Topic.User,
  [T.UserUnblockedSeller]: Topic.User,
};

/** Which envelope field keys each topic's messages, so one stream's (or user's) events stay in order. */
export const PARTITION_KEY_FIELD: Readonly<Record<Topic, 'livestreamId' | 'userId'>> = {
  [Topic.Livestream]: 'livestreamId',
  [Topic.Engagement]: 'livestreamId',
  [Topic.Commerce]: 'livestreamId',
  [Topic.User]: 'userId',
};

export function topicOf(event: Pick<MarketplaceEvent, 'type'>): Topic {
  return TOPIC_OF_EVENT_TYPE[event.type];
}

/** The message key of an event: its stream id on stream topics, its user id on the user topic. */
export function partitionKeyOf(event: MarketplaceEvent): string {
  const field = PARTITION_KEY_FIELD[topicOf(event)];
  const key = (event as unknown as Record<string, string | undefined>)[field];
  if (!key) throw new Error(`${event.type} event ${event.eventId} has no ${field} to key it by`);
  return key;
}
