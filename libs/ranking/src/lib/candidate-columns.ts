import {
  type Candidate,
  type CandidateColumns,
  type RankedColumns,
  type RankRequest,
  type RankResponse,
  type ScoredCandidate,
} from '../generated/crest/ranking/v1/ranking';

/** The per-candidate numeric columns, each one number per candidate (NaN where unknown). */
export const NUMERIC_COLUMNS = [
  'retrievalScores',
  'momentum',
  'hotness',
  'currentViewers',
  'bidsPerMinute',
  'chatsPerMinute',
  'engagedUsers5m',
  'startedAtMs',
  'lastEventAtMs',
  'auctionEndsAtMs',
  'giveawayEndsAtMs',
  'sellerScores',
] as const satisfies ReadonlyArray<keyof CandidateColumns>;

const orNaN = (value: number | undefined): number => (value === undefined ? NaN : value);

/** Columns for `n` candidates with every list at its length, to fill by index (`categoryIds` by push). */
export function candidateColumnsFor(n: number, embeddingDims: number): CandidateColumns {
  return {
    livestreamIds: new Array<string>(n),
    sellerIds: new Array<string>(n),
    categoryCounts: new Array<number>(n),
    categoryIds: [],
    retrievalScores: new Array<number>(n),
    momentum: new Array<number>(n),
    hotness: new Array<number>(n),
    currentViewers: new Array<number>(n),
    bidsPerMinute: new Array<number>(n),
    chatsPerMinute: new Array<number>(n),
    engagedUsers5m: new Array<number>(n),
    startedAtMs: new Array<number>(n),
    lastEventAtMs: new Array<number>(n),
    auctionEndsAtMs: new Array<number>(n),
    giveawayEndsAtMs: new Array<number>(n),
    sellerScores: new Array<number>(n),
    sellerEmbeddingDims: embeddingDims,
    sellerEmbeddings: new Array<number>(n * embeddingDims),
  };
}

/**
 * One message per candidate to columns. Seller embeddings are float32, as the contract carries them, and sent
 * only at the user's embedding length
 * (`embeddingDims`; 0 sends none): similarity needs both at the same length, so any other embedding could
 * not be used and goes as a row of NaN.
 */
export function toCandidateColumns(
  candidates: readonly Candidate[],
  embeddingDims: number,
): CandidateColumns {
  const n = candidates.length;
  const columns = candidateColumnsFor(n, embeddingDims);
  for (let i = 0; i < n; i++) {
    const candidate = candidates[i]!;
    const stream = candidate.stream;
    columns.livestreamIds[i] = candidate.livestreamId;
    columns.sellerIds[i] = candidate.sellerId;
    columns.categoryCounts[i] = candidate.categoryIds.length;
    for (const category of candidate.categoryIds) columns.categoryIds.push(category);
    columns.retrievalScores[i] = candidate.retrievalScore;
    columns.momentum[i] = orNaN(stream?.momentum);
    columns.hotness[i] = orNaN(stream?.hotness);
    columns.currentViewers[i] = orNaN(stream?.currentViewers);
    columns.bidsPerMinute[i] = orNaN(stream?.bidsPerMinute);
    columns.chatsPerMinute[i] = orNaN(stream?.chatsPerMinute);
    columns.engagedUsers5m[i] = orNaN(stream?.engagedUsers5m);
    columns.startedAtMs[i] = orNaN(stream?.startedAtMs);
    columns.lastEventAtMs[i] = orNaN(stream?.lastEventAtMs);
    columns.auctionEndsAtMs[i] = orNaN(stream?.auctionEndsAtMs);
    columns.giveawayEndsAtMs[i] = orNaN(stream?.giveawayEndsAtMs);
    columns.sellerScores[i] = orNaN(candidate.seller?.score);
    const embedding = candidate.seller?.embedding ?? [];
    const usable = embedding.length === embeddingDims;
    for (let d = 0; d < embeddingDims; d++)
      columns.sellerEmbeddings[i * embeddingDims + d] = usable ? Math.fround(embedding[d]!) : NaN;
  }
  return columns;
}

/** Every problem of the columns' shape; empty when they can be ranked. */
export function candidateColumnsProblems(columns: CandidateColumns): string[] {
  const problems: string[] = [];
  const n = columns.livestreamIds.length;
  const lengthOf = (name: string, actual: number, expected = n) => {
    if (actual !== expected)
      problems.push(`columns.${name} holds ${actual} values for ${n} candidates (expected ${expected})`);
  };
  lengthOf('sellerIds', columns.sellerIds.length);
  lengthOf('categoryCounts', columns.categoryCounts.length);
  for (const name of NUMERIC_COLUMNS) lengthOf(name, columns[name].length);
  const categories = columns.categoryCounts.reduce((sum, count) => sum + count, 0);
  if (categories !== columns.categoryIds.length)
    problems.push(
      `columns.categoryIds holds ${columns.categoryIds.length} ids but categoryCounts add up to ${categories}`,
    );
  lengthOf('sellerEmbeddings', columns.sellerEmbeddings.length, n * columns.sellerEmbeddingDims);
  return problems;
}

/** Where each candidate's categories start in `categoryIds`, plus the end (n + 1 entries). */
export function categoryStarts(columns: CandidateColumns): Int32Array {
  const starts = new Int32Array(columns.categoryCounts.length + 1);
  for (let i = 0; i < columns.categoryCounts.length; i++)
    starts[i + 1] = starts[i]! + columns.categoryCounts[i]!;
  return starts;
}

/** A columns answer as one message per ranked candidate, in ranked order. */
export function scoredCandidatesOf(
  ranked: RankedColumns,
  livestreamIds: readonly string[],
): ScoredCandidate[] {
  const names = ranked.contributionNames;
  return ranked.order.map((index, rank) => {
    const contributions: Record<string, number> = {};
    for (let f = 0; f < names.length; f++)
      contributions[names[f]!] = ranked.contributions[rank * names.length + f]!;
    return {
      livestreamId: livestreamIds[index]!,
      score: ranked.scores[rank]!,
      probability: ranked.probabilities[rank]!,
      contributions,
      demoted: ranked.demoted[rank]!,
    };
  });
}

/**
 * The answer with one `ScoredCandidate` per candidate, whichever form the request used: what a `Ranker`
 * gives its callers.
 */
export function withScoredCandidates(request: RankRequest, response: RankResponse): RankResponse {
  if (!response.ranked || !request.columns) return response;
  return {
    candidates: scoredCandidatesOf(response.ranked, request.columns.livestreamIds),
    modelId: response.modelId,
    modelVersion: response.modelVersion,
  };
}
