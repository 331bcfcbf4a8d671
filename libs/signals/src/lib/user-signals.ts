import { EventType, type MarketplaceEvent, PARTITION_KEY_FIELD, type Topic } from '@crest/event-schemas';

import { type EventOrigin } from './livestream-state';

/** How much each kind of engagement adds to a user's affinity for the stream's seller and categories. */
export const DEFAULT_ENGAGEMENT_WEIGHTS: Readonly<Partial<Record<EventType, number>>> = {
  [EventType.ViewerJoined]: 0.5,
  [EventType.ChatSent]: 1,
  [EventType.ReactionSent]: 0.5,
  [EventType.GiveawayEntered]: 1,
  [EventType.BidPlaced]: 3,
  [EventType.ProductPurchased]: 5,
};

export interface UserSignals {
  userId: string;
  followedSellers: string[];
  followedCategories: string[];
  /** Sellers the user blocked (the newest block or unblock wins): the feed leaves their streams out. */
  blockedSellers: string[];
  /** Decayed engagement per seller and per category, as of `asOf` (epoch ms); largest first. */
  sellerAffinity: Record<string, number>;
  categoryAffinity: Record<string, number>;
  asOf: number;
}

export interface UserSignalsOptions {
  /** Engagement loses half its weight every this many ms. Default 1 hour. */
  halfLifeMs?: number;
  weights?: Readonly<Partial<Record<EventType, number>>>;
  /** Affinities kept per user and kind (the weakest are forgotten). Default 50. */
  maxAffinities?: number;
}

/** A score that halves every half-life, as of `at` (event time, epoch ms). */
export interface DecayedScore {
  score: number;
  at: number;
}

export interface FollowState {
  following: boolean;
  at: number;
}

/**
 * One writer's share of a user's signals, published as is (key `<userId>|<source>`) so that each is
 * written by exactly one ingestor: `follows` comes from the owner of the user's partition of the user
 * topic, each `streams-<p>` from the owner of stream partition p (the engagement on its streams). Decayed
 * scores add up, so readers merge the shares with `mergeUserSignals`.
 */
export interface UserSignalsShare {
  userId: string;
  source: string;
  followedSellers: Record<string, FollowState>;
  followedCategories: Record<string, FollowState>;
  /**
   * Blocks toggle as follows do (`following` is true while blocked), newest change wins. Absent in shares
   * published before blocks existed.
   */
  blockedSellers?: Record<string, FollowState>;
  /** Engagement per seller and per category: the sum of `streams` by their seller and categories. */
  sellerScores: Record<string, DecayedScore>;
  categoryScores: Record<string, DecayedScore>;
  /**
   * Engagement per stream, with the stream's seller and categories once known (null until the stream's
   * status event arrived: engagement and status travel on different topics, so either may come first).
   */
  streams: Record<string, StreamEngagement>;
  /** Offset of the newest event applied per topic, so a rebuilt share skips what it already holds. */
  offsets: Record<string, number>;
}

export interface StreamEngagement extends DecayedScore {
  sellerId: string | null;
  categoryIds: string[] | null;
}

interface Share {
  follows: Map<string, FollowState>;
  categories: Map<string, FollowState>;
  blocks: Map<string, FollowState>;
  streams: Map<string, StreamEngagement>;
  offsets: Record<string, number>;
}

/** Where a stream belongs, for attributing engagement: its seller and categories. */
export type StreamContext = (
  livestreamId: string,
) => { sellerId: string | null; categoryIds: string[] } | undefined;

/**
 * Which user signals share an event read from `origin` feeds: `follows-<p>` for the user topic (keyed by
 * user), `streams-<p>` for the stream topics (keyed by stream, co-partitioned, so one owner per p).
 */
export function userSignalsSourceOf(origin: { topic: string; partition: number }): string {
  return `${PARTITION_KEY_FIELD[origin.topic as Topic] === 'userId' ? 'follows' : 'streams'}-${origin.partition}`;
}

/** Streams remembered per user and share, as a multiple of `maxAffinities` (the weakest are forgotten). */
const MAX_STREAMS_PER_AFFINITY = 4;

/** The share of events read without an origin (tests, a pipeline fed directly). */
export const LOCAL_SOURCE = 'local';

/**
 * Per-user signals for personalization: followed sellers and categories and blocked sellers (the newest
 * follow or unfollow, block or unblock wins, whatever the arrival order) and engagement per seller and
 * category with exponential time decay.
 * Kept as shares by source (see UserSignalsShare), so what one ingestor holds can be published, restored
 * and handed over with the partitions it comes from.
 */
export class UserSignalsStore {
  private readonly users = new Map<string, Map<string, Share>>();
  private readonly changed = new Set<string>();
  private readonly halfLifeMs: number;
  private readonly weights: Readonly<Partial<Record<EventType, number>>>;
  private readonly maxAffinities: number;

  /** Shares with engagement on a stream whose seller was not known yet; they go out again once it is. */
  private readonly unresolved = new Set<string>();

  constructor(
    options: UserSignalsOptions = {},
    private readonly streamContext: StreamContext = () => undefined,
  ) {
    this.halfLifeMs = options.halfLifeMs ?? 3_600_000;
    this.weights = options.weights ?? DEFAULT_ENGAGEMENT_WEIGHTS;
    this.maxAffinities = options.maxAffinities ?? 50;
  }

  apply(event: MarketplaceEvent, at: number, origin?: EventOrigin): void {
    if (!('userId' in event)) return;
    const weight = this.weights[event.type];
    const isFollow =
      event.type === EventType.UserFollowedSeller ||
      event.type === EventType.UserUnfollowedSeller ||
      event.type === EventType.UserFollowedCategory ||
      event.type === EventType.UserUnfollowedCategory ||
      event.type === EventType.UserBlockedSeller ||
      event.type === EventType.UserUnblockedSeller;
    if (!isFollow && !(weight && 'livestreamId' in event)) return;
    const source = origin ? userSignalsSourceOf(origin) : LOCAL_SOURCE;
    const share = this.share(event.userId, source);
    if (origin) {
      const offset = Number(origin.offset);
      if (offset <= (share.offsets[origin.topic] ?? -1)) return;
      share.offsets[origin.topic] = offset;
    }
    this.changed.add(`${event.userId}|${source}`);
    switch (event.type) {
      case EventType.UserFollowedSeller:
      case EventType.UserUnfollowedSeller:
        setIfNewer(share.follows, event.sellerId, event.type === EventType.UserFollowedSeller, at);
        return;
      case EventType.UserFollowedCategory:
      case EventType.UserUnfollowedCategory:
        setIfNewer(
          share.categories,
          event.payload.categoryId,
          event.type === EventType.UserFollowedCategory,
          at,
        );
        return;
      case EventType.UserBlockedSeller:
      case EventType.UserUnblockedSeller:
        setIfNewer(share.blocks, event.sellerId, event.type === EventType.UserBlockedSeller, at);
        return;
      default:
        if ('livestreamId' in event) this.bump(share.streams, event.livestreamId, weight!, at);
    }
  }

  /** A user's signals across every share this store holds, read at `now`. */
  get(userId: string, now: number): UserSignals {
    return mergeUserSignals(
      userId,
      [...(this.users.get(userId)?.entries() ?? [])].map(([source, share]) =>
        this.toRecord(userId, source, share),
      ),
      now,
      { halfLifeMs: this.halfLifeMs, maxAffinities: this.maxAffinities },
    );
  }

  /** The shares changed since the last call, to publish. */
  takeChanges(): UserSignalsShare[] {
    const out: UserSignalsShare[] = [];
    for (const key of this.unresolved) {
      const separator = key.indexOf('|');
      const share = this.users.get(key.slice(0, separator))?.get(key.slice(separator + 1));
      if (!share) this.unresolved.delete(key);
      else if (this.resolve(share)) this.changed.add(key);
    }
    for (const key of this.changed) {
      const separator = key.indexOf('|');
      const userId = key.slice(0, separator);
      const source = key.slice(separator + 1);
      const share = this.users.get(userId)?.get(source);
      if (share) out.push(this.toRecord(userId, source, share));
    }
    this.changed.clear();
    return out;
  }

  /** Takes a published share as this store's (after a restart or a rebalance). */
  restore(record: UserSignalsShare): void {
    const shares = this.users.get(record.userId) ?? new Map<string, Share>();
    this.users.set(record.userId, shares);
    shares.set(record.source, {
      follows: new Map(Object.entries(record.followedSellers)),
      categories: new Map(Object.entries(record.followedCategories)),
      blocks: new Map(Object.entries(record.blockedSellers ?? {})),
      streams: new Map(Object.entries(record.streams).map(([id, e]) => [id, { ...e }])),
      offsets: { ...record.offsets },
    });
    const key = `${record.userId}|${record.source}`;
    if (Object.values(record.streams).some((e) => e.sellerId === null)) this.unresolved.add(key);
  }

  /** Drops the shares whose source another instance owns now. */
  forgetSources(isOwnedElsewhere: (source: string) => boolean): void {
    for (const [userId, shares] of this.users) {
      for (const source of shares.keys()) {
        if (!isOwnedElsewhere(source)) continue;
        shares.delete(source);
        this.changed.delete(`${userId}|${source}`);
        this.unresolved.delete(`${userId}|${source}`);
      }
      if (shares.size === 0) this.users.delete(userId);
    }
  }

  get size(): number {
    return this.users.size;
  }

  private share(userId: string, source: string): Share {
    let shares = this.users.get(userId);
    if (!shares) this.users.set(userId, (shares = new Map()));
    let share = shares.get(source);
    if (!share) {
      share = {
        follows: new Map(),
        categories: new Map(),
        blocks: new Map(),
        streams: new Map(),
        offsets: {},
      };
      shares.set(source, share);
    }
    return share;
  }

  private bump(
    streams: Map<string, StreamEngagement>,
    livestreamId: string,
    weight: number,
    at: number,
  ): void {
    const current = streams.get(livestreamId);
    if (!current) streams.set(livestreamId, { score: weight, at, sellerId: null, categoryIds: null });
    else if (at >= current.at)
      Object.assign(current, { score: decay(current, at, this.halfLifeMs) + weight, at });
    else current.score += weight * 2 ** (-(current.at - at) / this.halfLifeMs);
    if (streams.size > this.maxAffinities * MAX_STREAMS_PER_AFFINITY) {
      const strongest = [...streams]
        .sort((a, b) => decay(b[1], at, this.halfLifeMs) - decay(a[1], at, this.halfLifeMs))
        .slice(0, this.maxAffinities);
      streams.clear();
      for (const [k, v] of strongest) streams.set(k, v);
    }
  }

  /** Fills in the seller and categories of streams now known; true if any was. */
  private resolve(share: Share): boolean {
    let resolved = false;
    for (const [id, engagement] of share.streams) {
      if (engagement.sellerId !== null) continue;
      const context = this.streamContext(id);
      if (!context?.sellerId) continue;
      engagement.sellerId = context.sellerId;
      engagement.categoryIds = [...context.categoryIds];
      resolved = true;
    }
    return resolved;
  }

  private toRecord(userId: string, source: string, share: Share): UserSignalsShare {
    const key = `${userId}|${source}`;
    // A read may be what learns a stream's seller: the share must still go out with it.
    if (this.resolve(share)) this.changed.add(key);
    if ([...share.streams.values()].some((e) => e.sellerId === null)) this.unresolved.add(key);
    else this.unresolved.delete(key);
    const sellers = new Map<string, DecayedScore>();
    const categories = new Map<string, DecayedScore>();
    const add = (map: Map<string, DecayedScore>, key: string, value: DecayedScore) => {
      const current = map.get(key);
      if (!current) map.set(key, { ...value });
      else if (value.at >= current.at)
        map.set(key, { score: decay(current, value.at, this.halfLifeMs) + value.score, at: value.at });
      else current.score += decay(value, current.at, this.halfLifeMs);
    };
    // In stream id order, so the same engagement gives the same sums whatever the arrival order.
    for (const [, engagement] of [...share.streams].sort(([a], [b]) => a.localeCompare(b))) {
      if (engagement.sellerId === null) continue;
      add(sellers, engagement.sellerId, engagement);
      for (const category of engagement.categoryIds ?? []) add(categories, category, engagement);
    }
    return {
      userId,
      source,
      followedSellers: Object.fromEntries(share.follows),
      followedCategories: Object.fromEntries(share.categories),
      blockedSellers: Object.fromEntries(share.blocks),
      sellerScores: Object.fromEntries(sellers),
      categoryScores: Object.fromEntries(categories),
      streams: Object.fromEntries(
        [...share.streams].map(([k, v]) => [k, { ...v, categoryIds: v.categoryIds && [...v.categoryIds] }]),
      ),
      offsets: { ...share.offsets },
    };
  }
}

/**
 * A user's signals from its published shares (any order): follows by newest change, scores decayed to
 * `now` and added up, the strongest `maxAffinities` kept.
 */
export function mergeUserSignals(
  userId: string,
  shares: readonly UserSignalsShare[],
  now: number,
  options: { halfLifeMs?: number; maxAffinities?: number } = {},
): UserSignals {
  const halfLifeMs = options.halfLifeMs ?? 3_600_000;
  const maxAffinities = options.maxAffinities ?? 50;
  const newest = (pick: (share: UserSignalsShare) => Record<string, FollowState> | undefined) => {
    const merged = new Map<string, FollowState>();
    for (const share of shares)
      for (const [id, state] of Object.entries(pick(share) ?? {}))
        setIfNewer(merged, id, state.following, state.at);
    return [...merged]
      .filter(([, f]) => f.following)
      .map(([id]) => id)
      .sort();
  };
  const summed = (pick: (share: UserSignalsShare) => Record<string, DecayedScore>) => {
    const totals = new Map<string, number>();
    for (const share of shares)
      for (const [id, value] of Object.entries(pick(share)))
        totals.set(id, (totals.get(id) ?? 0) + decay(value, now, halfLifeMs));
    return Object.fromEntries(
      [...totals]
        .map(([id, total]) => [id, Math.round(total * 1000) / 1000] as const)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, maxAffinities),
    );
  };
  return {
    userId,
    followedSellers: newest((s) => s.followedSellers),
    followedCategories: newest((s) => s.followedCategories),
    blockedSellers: newest((s) => s.blockedSellers),
    sellerAffinity: summed((s) => s.sellerScores),
    categoryAffinity: summed((s) => s.categoryScores),
    asOf: now,
  };
}

function decay(value: DecayedScore, to: number, halfLifeMs: number): number {
  return value.score * 2 ** (-(to - value.at) / halfLifeMs);
}

function setIfNewer(map: Map<string, FollowState>, key: string, following: boolean, at: number): void {
  const current = map.get(key);
  if (!current || at >= current.at) map.set(key, { following, at });
}
