import { type RetrievalBackendName } from '@crest/experiments';
import { type GuardedBackend, type RetrievedDoc } from '@crest/retrieval';

/** Who the feed is for, with what is known of them (user signals). */
export interface FeedUser {
  userId: string;
  newUser: boolean;
  followedSellers: readonly string[];
  /** Category -> affinity (> 0). */
  categoryAffinities: Readonly<Record<string, number>>;
  embedding: readonly number[] | null;
  blockedSellers?: readonly string[];
}

/** One homeFeed request. */
export interface FeedRequest {
  user: FeedUser;
  now: number;
  /** Streams already served in this session (earlier pages): never served again. */
  excludedIds?: readonly string[];
  /** Aborted when the caller gives up. */
  signal?: AbortSignal;
}

/** The retrieval backends of this process, by the names the feed config uses. */
export type RetrievalBackends = Partial<Record<RetrievalBackendName, GuardedBackend>>;

/** One card of a carousel. */
export interface FeedItem {
  livestreamId: string;
  doc: RetrievedDoc;
  /** The ranking score (or retrieval score when ranking fell back). */
  score: number;
  /** A short "why shown" line. */
  reason: string;
  /** Opaque, signed: which user saw which stream where (for click attribution). */
  trackingToken: string;
}

export type CarouselStatus = 'ok' | 'gated' | 'too-few' | 'failed';

export interface CarouselTimings {
  retrievalMs: number;
  rankingMs: number;
  totalMs: number;
}

/** What one carousel's pipeline produced, and how. */
export interface CarouselResult {
  id: string;
  title: string;
  layout: 'row' | 'grid' | 'hero';
  status: CarouselStatus;
  /** Ranked candidates, best first, before cross-carousel de-duplication and the page cap. */
  items: FeedItem[];
  servedBy: { retrieval: string | null; retrievalReason: string | null; ranking: string | null };
  /** Why the carousel failed or was gated, when it did. */
  detail?: string;
  /** Candidates each filter removed, by filter. */
  filtered: Record<string, number>;
  timings: CarouselTimings;
}
