import { type LivestreamDoc } from '@crest/signals';

/** Parameter values a strategy accepts; each strategy declares its own (see StrategyDefinition.params). */
export type StrategyParams = Record<string, number | boolean>;

/**
 * One retrieval: who asks, with what context, for which strategy. Every backend answers the same request
 * with the same candidates (the contract suite checks it), so any backend can be another's fallback.
 */
export interface RetrievalRequest {
  userId: string;
  /** Seller ids the user follows. */
  followedSellers: readonly string[];
  /** Category id -> affinity (> 0; larger is stronger). Followed categories without history weigh 1. */
  categoryAffinities: Readonly<Record<string, number>>;
  /** The user's taste in the seller embedding space, when known (same dimensions as seller embeddings). */
  userEmbedding?: readonly number[] | null;
  /** A strategy name from the registry, e.g. `trending`. */
  strategy: string;
  /** Overrides of the strategy's parameter defaults. */
  params?: Partial<StrategyParams>;
  /** At most this many candidates, best first. */
  limit: number;
  /** Livestream ids never to return (already shown, blocked). */
  excludedIds?: readonly string[];
  /** The time the request is answered for, epoch ms: decides whether an auction or giveaway is still on. */
  now: number;
  /**
   * The Query Lambda version the lambda stores (sql, rockset) run for the strategy; absent: the version
   * tagged `live`. Memory and Elasticsearch ignore it (a new lambda version is a pull-model-only signal).
   */
  lambdaVersion?: number;
}

/** A livestream doc as retrieval returns it: everything but the ingestor's resume bookkeeping. */
export type RetrievedDoc = Omit<LivestreamDoc, 'checkpoint'>;

export interface Candidate {
  livestreamId: string;
  /** The strategy's score; larger is better. Comparable within one strategy only. */
  score: number;
  doc: RetrievedDoc;
}

/** Why the backend that answered did. */
export type ServedReason =
  'primary' | 'hedge' | 'fallback-error' | 'fallback-timeout' | 'fallback-circuit-open';

export type AttemptOutcome = 'ok' | 'error' | 'timeout' | 'circuit-open' | 'cancelled';

/** One backend call a retrieval made (a composite makes up to three: primary, hedge, fallback). */
export interface RetrievalAttempt {
  backend: string;
  role: 'primary' | 'hedge' | 'fallback';
  outcome: AttemptOutcome;
  ms: number;
  error?: string;
}

export interface RetrievalResult {
  strategy: string;
  /** The backend whose candidates these are. */
  backend: string;
  reason: ServedReason;
  /** Best first: score descending, then livestream id ascending. */
  candidates: Candidate[];
  timings: { totalMs: number; attempts: RetrievalAttempt[] };
}

export interface RetrieveOptions {
  /** Aborting stops the backend's work (the HTTP request is cancelled) and rejects with an AbortError. */
  signal?: AbortSignal;
}

/**
 * A retrieval backend. `retrieve` rejects with RetrievalRequestError for a bad request (the same on every
 * backend) and with another error when the backend fails; it never returns partial results.
 */
export interface Retriever {
  /** The backend's name as results and metrics report it: `memory`, `elasticsearch`, `rockset`. */
  readonly backend: string;
  retrieve(request: RetrievalRequest, options?: RetrieveOptions): Promise<RetrievalResult>;
}

/** The request is wrong (not the backend): retrying or falling back will not help. */
export class RetrievalRequestError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid retrieval request: ${problems.join('; ')}`);
    this.name = 'RetrievalRequestError';
  }
}

export const MAX_RETRIEVAL_LIMIT = 1_000;
export const MAX_EXCLUDED_IDS = 10_000;

/** Validates the parts of a request every strategy reads; lists every problem. */
export function requestProblems(request: RetrievalRequest): string[] {
  const problems: string[] = [];
  if (typeof request.userId !== 'string' || request.userId.length === 0)
    problems.push('userId must be a non-empty string');
  if (!Array.isArray(request.followedSellers) || request.followedSellers.some((s) => typeof s !== 'string'))
    problems.push('followedSellers must be an array of seller ids');
  const affinities = request.categoryAffinities;
  if (typeof affinities !== 'object' || affinities === null || Array.isArray(affinities)) {
    problems.push('categoryAffinities must be an object of category id -> affinity');
  } else {
    for (const [category, affinity] of Object.entries(affinities))
      if (typeof affinity !== 'number' || !Number.isFinite(affinity) || affinity <= 0)
        problems.push(`categoryAffinities.${category} must be a finite number > 0 (got ${String(affinity)})`);
  }
  if (request.userEmbedding != null) {
    const embedding = request.userEmbedding;
    if (!Array.isArray(embedding) || embedding.length === 0)
      problems.push('userEmbedding must be a non-empty array of numbers or null');
    else if (embedding.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
      problems.push('userEmbedding must hold finite numbers only');
    else if (embedding.every((x) => x === 0)) problems.push('userEmbedding must not be all zeros');
  }
  if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > MAX_RETRIEVAL_LIMIT)
    problems.push(`limit must be an integer in [1, ${MAX_RETRIEVAL_LIMIT}] (got ${String(request.limit)})`);
  const excluded = request.excludedIds ?? [];
  if (!Array.isArray(excluded) || excluded.some((id) => typeof id !== 'string'))
    problems.push('excludedIds must be an array of livestream ids');
  else if (excluded.length > MAX_EXCLUDED_IDS)
    problems.push(`excludedIds holds ${excluded.length} ids; at most ${MAX_EXCLUDED_IDS}`);
  if (typeof request.now !== 'number' || !Number.isFinite(request.now))
    problems.push('now must be a time in epoch ms');
  if (
    request.lambdaVersion !== undefined &&
    (!Number.isInteger(request.lambdaVersion) || request.lambdaVersion < 1)
  )
    problems.push(`lambdaVersion must be an integer >= 1 (got ${String(request.lambdaVersion)})`);
  return problems;
}

/** Drops the ingestor's bookkeeping from a doc (retrievers return RetrievedDoc). */
export function toRetrievedDoc(doc: LivestreamDoc | RetrievedDoc): RetrievedDoc {
  if (!('checkpoint' in doc)) return doc;
  const { checkpoint: _checkpoint, ...retrieved } = doc;
  return retrieved;
}

/** The order every backend returns: score descending, then livestream id ascending. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  return (
    b.score - a.score || (a.livestreamId < b.livestreamId ? -1 : a.livestreamId > b.livestreamId ? 1 : 0)
  );
}
