import { EventType, type MarketplaceEvent } from '@crest/event-schemas';

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

interface Decayed {
  score: number;
  at: number;
}

interface UserEntry {
  follows: Map<string, { following: boolean; at: number }>;
  categories: Map<string, { following: boolean; at: number }>;
  sellers: Map<string, Decayed>;
  categoryScores: Map<string, Decayed>;
}

/** Where a stream belongs, for attributing engagement: its seller and categories. */
export type StreamContext = (
  livestreamId: string,
) => { sellerId: string | null; categoryIds: string[] } | undefined;

/**
 * Per-user signals for personalization: followed sellers and categories (the newest follow or unfollow
 * wins, whatever the arrival order) and engagement per seller and category with exponential time decay.
 */
export class UserSignalsStore {
  private readonly users = new Map<string, UserEntry>();
  private readonly halfLifeMs: number;
  private readonly weights: Readonly<Partial<Record<EventType, number>>>;
  private readonly maxAffinities: number;

  constructor(options: UserSignalsOptions = {}) {
    this.halfLifeMs = options.halfLifeMs ?? 3_600_000;
    this.weights = options.weights ?? DEFAULT_ENGAGEMENT_WEIGHTS;
    this.maxAffinities = options.maxAffinities ?? 50;
  }

  apply(event: MarketplaceEvent, at: number, streamContext: StreamContext): void {
    if (!('userId' in event)) return;
    switch (event.type) {
      case EventType.UserFollowedSeller:
      case EventType.UserUnfollowedSeller:
        setIfNewer(
          this.entry(event.userId).follows,
          event.sellerId,
          event.type === EventType.UserFollowedSeller,
          at,
        );
        return;
      case EventType.UserFollowedCategory:
      case EventType.UserUnfollowedCategory:
        setIfNewer(
          this.entry(event.userId).categories,
          event.payload.categoryId,
          event.type === EventType.UserFollowedCategory,
          at,
        );
        return;
      default: {
        const weight = this.weights[event.type];
        if (!weight || !('livestreamId' in event)) return;
        const stream = streamContext(event.livestreamId);
        if (!stream) return;
        const entry = this.entry(event.userId);
        if (stream.sellerId) this.bump(entry.sellers, stream.sellerId, weight, at);
        for (const category of stream.categoryIds) this.bump(entry.categoryScores, category, weight, at);
      }
    }
  }

  get(userId: string, now: number): UserSignals {
    const entry = this.users.get(userId);
    const following = (map: Map<string, { following: boolean }> | undefined) =>
      [...(map ?? [])]
        .filter(([, f]) => f.following)
        .map(([id]) => id)
        .sort();
    return {
      userId,
      followedSellers: following(entry?.follows),
      followedCategories: following(entry?.categories),
      sellerAffinity: this.scores(entry?.sellers, now),
      categoryAffinity: this.scores(entry?.categoryScores, now),
      asOf: now,
    };
  }

  get size(): number {
    return this.users.size;
  }

  private entry(userId: string): UserEntry {
    let entry = this.users.get(userId);
    if (!entry) {
      entry = { follows: new Map(), categories: new Map(), sellers: new Map(), categoryScores: new Map() };
      this.users.set(userId, entry);
    }
    return entry;
  }

  private decay(value: Decayed, to: number): number {
    return value.score * 2 ** (-(to - value.at) / this.halfLifeMs);
  }

  private bump(map: Map<string, Decayed>, key: string, weight: number, at: number): void {
    const current = map.get(key);
    if (!current) map.set(key, { score: weight, at });
    else if (at >= current.at) map.set(key, { score: this.decay(current, at) + weight, at });
    else current.score += weight * 2 ** (-(current.at - at) / this.halfLifeMs);
    if (map.size > this.maxAffinities * 2) {
      const strongest = [...map]
        .sort((a, b) => this.decay(b[1], at) - this.decay(a[1], at))
        .slice(0, this.maxAffinities);
      map.clear();
      for (const [k, v] of strongest) map.set(k, v);
    }
  }

  private scores(map: Map<string, Decayed> | undefined, now: number): Record<string, number> {
    return Object.fromEntries(
      [...(map ?? [])]
        .map(([key, value]) => [key, Math.round(this.decay(value, now) * 1000) / 1000] as const)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, this.maxAffinities),
    );
  }
}

function setIfNewer(
  map: Map<string, { following: boolean; at: number }>,
  key: string,
  following: boolean,
  at: number,
): void {
  const current = map.get(key);
  if (!current || at >= current.at) map.set(key, { following, at });
}
