import { type RankRequest, type RankResponse } from '../generated/crest/ranking/v1/ranking';

export interface RankCallOptions {
  /** Give up after this long (the gRPC deadline). */
  budgetMs?: number;
  signal?: AbortSignal;
}

/** Ranks one carousel's candidates: in-process (embedded mode, tests) or over gRPC (the ranking-service). */
export interface Ranker {
  /** `in-process` or `grpc`, as results report it. */
  readonly name: string;
  /**
   * Answers one `ScoredCandidate` per candidate in ranked order, in `candidates`, whether the request held
   * rows (`candidates`) or `columns` (the cheaper form to build for many candidates).
   */
  rank(request: RankRequest, options?: RankCallOptions): Promise<RankResponse>;
}

/** What a caller got: the ranker's order, or the retrieval order when the ranker failed or was too slow. */
export interface RankOutcome {
  response: RankResponse;
  servedBy: string;
  /** Set when the ranker did not answer and the candidates keep their retrieval order. */
  fallback?: { reason: 'timeout' | 'error'; error: string };
  ms: number;
}

/**
 * Ranks, or on error or timeout falls back to the retrieval order (retrieval score, then id) and says so.
 * Bad requests (the caller's bug) are not hidden: they reject.
 */
export async function rankOrRetrievalOrder(
  ranker: Ranker,
  request: RankRequest,
  options: RankCallOptions & { isCallerError?: (error: unknown) => boolean } = {},
): Promise<RankOutcome> {
  const started = performance.now();
  try {
    const response = await ranker.rank(request, options);
    return { response, servedBy: ranker.name, ms: performance.now() - started };
  } catch (error) {
    if (options.isCallerError?.(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const timedOut = /deadline|timeout|timed out/i.test(message);
    const ids = request.columns?.livestreamIds ?? request.candidates.map((c) => c.livestreamId);
    const scores = request.columns?.retrievalScores ?? request.candidates.map((c) => c.retrievalScore);
    const candidates = ids
      .map((_, i) => i)
      .sort((a, b) => scores[b]! - scores[a]! || (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0))
      .map((i) => ({
        livestreamId: ids[i]!,
        score: scores[i]!,
        probability: scores[i]!,
        contributions: {},
        demoted: false,
      }));
    return {
      response: { candidates, modelId: 'retrieval-order', modelVersion: 0 },
      servedBy: 'retrieval-order',
      fallback: { reason: timedOut ? 'timeout' : 'error', error: message },
      ms: performance.now() - started,
    };
  }
}
