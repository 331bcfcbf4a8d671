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
  /**
   * Record how every candidate fared (`CarouselResult.explain`) and ask the ranker for per-feature
   * contributions: for operators' tools, never the serving path (it costs allocations per candidate).
   */
  explain?: boolean;
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
  /** Set only when the request asked to explain (`FeedRequest.explain`). */
  explain?: CarouselExplain;
}

/**
 * What removed a candidate: a pipeline filter (`ended`, `blocked-seller`, `already-served`) or the mixer's
 * de-duplication (`placed-higher`: a carousel higher in the feed shows it).
 */
export type CandidateRemoval = 'ended' | 'blocked-seller' | 'already-served' | 'placed-higher';

/** The ranking inputs read off a candidate's doc (the same values the ranker's columns carry). */
export const EXPLAINED_FEATURES = [
  'retrievalScore',
  'momentum',
  'hotness',
  'currentViewers',
  'bidsPerMinute',
  'chatsPerMinute',
  'engagedUsers5m',
  'sellerScore',
] as const;
export type ExplainedFeature = (typeof EXPLAINED_FEATURES)[number];

/** One candidate retrieval returned for a carousel, and what became of it. */
export interface CandidateExplain {
  livestreamId: string;
  title: string | null;
  sellerId: string | null;
  /** The retrieval strategy's score (comparable within one strategy only). */
  retrievalScore: number;
  /** The ranking score (the retrieval score when ranking fell back); null when removed before ranking. */
  score: number | null;
  /** 1-based position in the ranked order; null when removed before ranking. */
  rank: number | null;
  /** What removed it; null when it stayed in the carousel (shown, or ranked past the page). */
  removedBy: CandidateRemoval | null;
  /** On the carousel's page as served: false when removed, past the page, or the carousel was left out. */
  shown: boolean;
  /** The raw ranking inputs; a feature the doc does not know (e.g. no seller score) is absent. */
  features: Partial<Record<ExplainedFeature, number>>;
  /**
   * Feature name (and `bias`) -> weight × transformed value; they add up to `score`. Empty when ranking fell
   * back to retrieval order or did not run.
   */
  contributions: Record<string, number>;
  /** Moved down by the diversity caps (items per seller or category). */
  demoted: boolean;
}

/** How a carousel's candidates fared, for the explain tools. */
export interface CarouselExplain {
  /** Every candidate retrieval returned: ranked ones in ranked order, then those the filters removed. */
  candidates: CandidateExplain[];
  /** Why ranking fell back to retrieval order (the ranker's error or timeout); null when it ranked. */
  rankingFallback: string | null;
  /** The model that ordered the candidates (`retrieval-order`@0 on fallback); null when ranking did not run. */
  model: { id: string; version: number } | null;
}
