import { createHmac } from 'node:crypto';

import { type CarouselConfig } from '@crest/experiments';
import {
  type CandidateColumns,
  candidateColumnsFor,
  type NUMERIC_COLUMNS,
  type Ranker,
  rankOrRetrievalOrder,
  type RankOutcome,
} from '@crest/ranking';
import {
  type Candidate,
  CompositeRetriever,
  type RetrievalMetrics,
  type RetrievedDoc,
} from '@crest/retrieval';

import {
  type CandidateExplain,
  type CandidateRemoval,
  type CarouselExplain,
  type CarouselResult,
  type ExplainedFeature,
  type FeedItem,
  type FeedRequest,
  type RetrievalBackends,
} from './feed-context';

export interface CarouselPipelineDeps {
  backends: RetrievalBackends;
  ranker: Ranker;
  /** Signs tracking tokens. */
  trackingSecret: string;
  metrics?: RetrievalMetrics;
}

const REASONS: Record<string, (doc: RetrievedDoc, request: FeedRequest) => string> = {
  following: () => 'Live from a seller you follow',
  'category-affinity': (doc, request) => {
    const liked = doc.categoryIds
      .filter((c) => request.user.categoryAffinities[c] !== undefined)
      .sort((a, b) => request.user.categoryAffinities[b]! - request.user.categoryAffinities[a]!);
    return liked[0] ? `Because you like ${liked[0].replaceAll('-', ' ')}` : 'In your categories';
  },
  trending: () => 'Trending now',
  'new-user-hot': (doc) => (doc.auction ? 'Hot auction right now' : 'Giveaway happening now'),
  'similar-sellers': () => 'Similar to sellers you like',
};

/**
 * One carousel as a candidate pipeline (product-mixer style): gate → candidate source (retrieval on the
 * configured primary/fallback backends within the carousel's budget) → filters (ended streams, blocked
 * sellers, already served) → ranking (the Ranker port; retrieval order when it fails or is late) →
 * decoration (reason, tracking token). Never throws: a failure is a `failed` result, so the feed fails
 * open per carousel. With `request.explain` the result also says how every retrieved candidate fared
 * (`explain`); without it nothing per candidate is recorded.
 */
export class CarouselPipeline {
  private readonly retriever: CompositeRetriever | null;
  private readonly setupProblem: string | null = null;

  constructor(
    readonly config: CarouselConfig,
    private readonly deps: CarouselPipelineDeps,
  ) {
    const { primary, fallback, budgetMs, hedgeAfterMs } = config.retrieval;
    const primaryBackend = deps.backends[primary];
    const fallbackBackend = fallback ? deps.backends[fallback] : undefined;
    if (!primaryBackend && !fallbackBackend) {
      this.retriever = null;
      this.setupProblem = `neither ${primary} nor ${fallback ?? '(no fallback)'} is configured in this process`;
      return;
    }
    this.retriever = new CompositeRetriever({
      callSite: `home/${config.id}`,
      // A backend this process lacks (e.g. Elasticsearch in embedded mode) is simply not asked.
      primary: (primaryBackend ?? fallbackBackend)!,
      fallback: primaryBackend ? fallbackBackend : undefined,
      budgetMs,
      hedge: hedgeAfterMs && primaryBackend && fallbackBackend ? { afterMs: hedgeAfterMs } : undefined,
      metrics: deps.metrics,
    });
  }

  async run(request: FeedRequest, excluded: ReadonlySet<string>): Promise<CarouselResult> {
    const started = performance.now();
    const { config } = this;
    const result: CarouselResult = {
      id: config.id,
      title: config.title,
      layout: config.layout,
      status: 'ok',
      items: [],
      servedBy: { retrieval: null, retrievalReason: null, ranking: null },
      filtered: {},
      timings: { retrievalMs: 0, rankingMs: 0, totalMs: 0 },
    };
    const explain: CarouselExplain | undefined = request.explain
      ? (result.explain = { candidates: [], rankingFallback: null, model: null })
      : undefined;
    // Explain only: the candidates the filters removed, listed after the ranked ones.
    const removed: Array<[Candidate, CandidateRemoval]> | undefined = explain ? [] : undefined;
    const done = (status: CarouselResult['status'], detail?: string) => {
      result.status = status;
      if (detail) result.detail = detail;
      result.timings.totalMs = performance.now() - started;
      if (explain && removed!.length > 0) explainUnranked(explain, removed!);
      return result;
    };

    const gate = this.gate(request);
    if (gate) return done('gated', gate);
    if (!this.retriever) return done('failed', this.setupProblem!);

    let candidates: Candidate[];
    try {
      const retrieved = await this.retriever.retrieve(
        {
          userId: request.user.userId,
          followedSellers: request.user.followedSellers,
          categoryAffinities: request.user.categoryAffinities,
          userEmbedding: request.user.embedding,
          strategy: config.retrieval.strategy,
          params: config.retrieval.params,
          limit: config.retrieval.limit,
          excludedIds: [...excluded],
          now: request.now,
          lambdaVersion: config.retrieval.lambdaVersion,
        },
        { signal: request.signal },
      );
      candidates = retrieved.candidates;
      result.servedBy.retrieval = retrieved.backend;
      result.servedBy.retrievalReason = retrieved.reason;
      result.timings.retrievalMs = retrieved.timings.totalMs;
    } catch (error) {
      return done('failed', `retrieval: ${(error as Error).message}`);
    }

    candidates = this.filter(candidates, request, excluded, result.filtered, removed);
    if (candidates.length === 0) return done('too-few', 'no candidates left after filters');

    const rankStarted = performance.now();
    const remaining = Math.max(1, config.retrieval.budgetMs - (performance.now() - started));
    const byId = new Map(candidates.map((c) => [c.livestreamId, c]));
    const columns = toRankColumns(candidates, request.user.embedding?.length ?? 0);
    try {
      const outcome = await rankOrRetrievalOrder(
        this.deps.ranker,
        {
          user: {
            userId: request.user.userId,
            newUser: request.user.newUser,
            followedSellers: [...request.user.followedSellers],
            categoryAffinities: { ...request.user.categoryAffinities },
            embedding: [...(request.user.embedding ?? [])],
          },
          candidates: [],
          columns,
          modelId: config.ranking.model,
          modelVersion: config.ranking.version ?? 0,
          weightOverrides: config.ranking.weights ?? {},
          // 0 keeps the model's own cap (the contract's meaning), so a carousel overrides only what it sets.
          diversity:
            config.ranking.maxPerSeller || config.ranking.maxPerCategory
              ? {
                  maxPerSeller: config.ranking.maxPerSeller ?? 0,
                  maxPerCategory: config.ranking.maxPerCategory ?? 0,
                }
              : undefined,
          nowMs: request.now,
          explain: explain !== undefined,
        },
        { budgetMs: remaining, signal: request.signal },
      );
      result.servedBy.ranking = outcome.servedBy;
      result.items = outcome.response.candidates.map((scored) =>
        this.decorate(byId.get(scored.livestreamId)!.doc, scored.score, request),
      );
      if (explain) explainRanked(explain, outcome, candidates, columns);
    } catch (error) {
      if (explain)
        explainUnranked(
          explain,
          candidates.map((c): [Candidate, null] => [c, null]),
        );
      return done('failed', `ranking: ${(error as Error).message}`);
    }
    result.timings.rankingMs = performance.now() - rankStarted;
    return done('ok');
  }

  private gate(request: FeedRequest): string | null {
    const { audience } = this.config;
    if (audience === 'new' && !request.user.newUser) return 'for new users only';
    if (audience === 'returning' && request.user.newUser) return 'for returning users only';
    return null;
  }

  private filter(
    candidates: Candidate[],
    request: FeedRequest,
    excluded: ReadonlySet<string>,
    counts: Record<string, number>,
    removed: Array<[Candidate, CandidateRemoval]> | undefined,
  ): Candidate[] {
    const blocked = new Set(request.user.blockedSellers ?? []);
    const drop = (name: CandidateRemoval, candidate: Candidate) => {
      counts[name] = (counts[name] ?? 0) + 1;
      removed?.push([candidate, name]);
      return false;
    };
    return candidates.filter((c) => {
      if (c.doc.status !== 'live') return drop('ended', c);
      if (c.doc.sellerId && blocked.has(c.doc.sellerId)) return drop('blocked-seller', c);
      if (excluded.has(c.livestreamId)) return drop('already-served', c);
      return true;
    });
  }

  private decorate(doc: RetrievedDoc, score: number, request: FeedRequest): FeedItem {
    return new DecoratedItem(doc, score, request, this.config, this.deps.trackingSecret);
  }
}

/**
 * A ranked item. Most are never shown (they fall past the page or are placed higher), so the reason and the
 * signed token (an HMAC) are computed when first read; a class keeps that to one object per item, where
 * getters over closures allocated three.
 */
class DecoratedItem implements FeedItem {
  readonly livestreamId: string;
  private cachedReason?: string;
  private cachedToken?: string;

  constructor(
    readonly doc: RetrievedDoc,
    readonly score: number,
    private readonly request: FeedRequest,
    private readonly carousel: CarouselConfig,
    private readonly secret: string,
  ) {
    this.livestreamId = doc.livestreamId;
  }

  get reason(): string {
    return (this.cachedReason ??= (
      REASONS[this.carousel.retrieval.strategy] ?? (() => 'Recommended for you')
    )(this.doc, this.request));
  }

  get trackingToken(): string {
    return (this.cachedToken ??= trackingToken(
      this.secret,
      this.request.user.userId,
      this.carousel.id,
      this.livestreamId,
    ));
  }
}

/** `<payload>.<hmac>`: base64url JSON of who saw what where, signed so clients cannot forge clicks. */
export function trackingToken(
  secret: string,
  userId: string,
  carouselId: string,
  livestreamId: string,
): string {
  const payload = Buffer.from(JSON.stringify({ u: userId, c: carouselId, l: livestreamId })).toString(
    'base64url',
  );
  const signature = createHmac('sha256', secret).update(payload).digest('base64url').slice(0, 22);
  return `${payload}.${signature}`;
}

/** Where each explained feature is in the ranker's columns. */
const FEATURE_COLUMNS: ReadonlyArray<[ExplainedFeature, (typeof NUMERIC_COLUMNS)[number]]> = [
  ['retrievalScore', 'retrievalScores'],
  ['momentum', 'momentum'],
  ['hotness', 'hotness'],
  ['currentViewers', 'currentViewers'],
  ['bidsPerMinute', 'bidsPerMinute'],
  ['chatsPerMinute', 'chatsPerMinute'],
  ['engagedUsers5m', 'engagedUsers5m'],
  ['sellerScore', 'sellerScores'],
];
/** Candidate `index` of the columns as explained, before ranking says anything of it. */
function candidateExplain(candidate: Candidate, columns: CandidateColumns, index: number): CandidateExplain {
  const features: CandidateExplain['features'] = {};
  for (const [feature, column] of FEATURE_COLUMNS) {
    const value = columns[column][index]!;
    if (Number.isFinite(value)) features[feature] = value;
  }
  return {
    livestreamId: candidate.livestreamId,
    title: candidate.doc.title ?? null,
    sellerId: candidate.doc.sellerId ?? null,
    retrievalScore: candidate.score,
    score: null,
    rank: null,
    removedBy: null,
    shown: false,
    features,
    contributions: {},
    demoted: false,
  };
}

/** The ranked candidates, in ranked order, with their scores and contributions. */
function explainRanked(
  explain: CarouselExplain,
  outcome: RankOutcome,
  candidates: readonly Candidate[],
  columns: CandidateColumns,
): void {
  explain.rankingFallback = outcome.fallback ? `${outcome.fallback.reason}: ${outcome.fallback.error}` : null;
  explain.model = { id: outcome.response.modelId, version: outcome.response.modelVersion };
  const indexOf = new Map(columns.livestreamIds.map((id, i) => [id, i]));
  outcome.response.candidates.forEach((scored, rank) => {
    const index = indexOf.get(scored.livestreamId)!;
    const explained = candidateExplain(candidates[index]!, columns, index);
    explained.score = scored.score;
    explained.rank = rank + 1;
    explained.contributions = scored.contributions;
    explained.demoted = scored.demoted;
    explain.candidates.push(explained);
  });
}

/** Candidates that were not ranked (removed by a filter, or ranking failed), after the ranked ones. */
function explainUnranked(
  explain: CarouselExplain,
  unranked: ReadonlyArray<[Candidate, CandidateRemoval | null]>,
): void {
  const columns = toRankColumns(
    unranked.map(([candidate]) => candidate),
    0,
  );
  unranked.forEach(([candidate, removedBy], index) => {
    const explained = candidateExplain(candidate, columns, index);
    explained.removedBy = removedBy;
    explain.candidates.push(explained);
  });
}

/** A doc's times as epoch ms (NaN when unknown), parsed once per doc version: docs are replaced on change. */
interface DocTimes {
  startedAtMs: number;
  lastEventAtMs: number;
  auctionEndsAtMs: number;
  giveawayEndsAtMs: number;
}
const timesByDoc = new WeakMap<RetrievedDoc, DocTimes>();
const epochMs = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

function timesOf(doc: RetrievedDoc): DocTimes {
  let times = timesByDoc.get(doc);
  if (!times) {
    times = {
      startedAtMs: epochMs(doc.startedAt),
      lastEventAtMs: epochMs(doc.lastEventAt),
      auctionEndsAtMs: epochMs(doc.auction?.endsAt),
      giveawayEndsAtMs: epochMs(doc.giveaway?.endsAt),
    };
    timesByDoc.set(doc, times);
  }
  return times;
}

/**
 * The candidates as the ranker's columns, straight from the docs: a message object per candidate (with
 * its stream and seller objects) cost more than ranking them. Seller embeddings go at the user's embedding
 * length only (similarity needs both), none when the user has none.
 */
export function toRankColumns(candidates: readonly Candidate[], embeddingDims: number): CandidateColumns {
  const n = candidates.length;
  const columns = candidateColumnsFor(n, embeddingDims);
  for (let i = 0; i < n; i++) {
    const { livestreamId, score, doc } = candidates[i]!;
    const times = timesOf(doc);
    columns.livestreamIds[i] = livestreamId;
    columns.sellerIds[i] = doc.sellerId ?? '';
    columns.categoryCounts[i] = doc.categoryIds.length;
    for (const category of doc.categoryIds) columns.categoryIds.push(category);
    columns.retrievalScores[i] = score;
    columns.momentum[i] = doc.momentum;
    columns.hotness[i] = doc.hotness;
    columns.currentViewers[i] = doc.currentViewers;
    columns.bidsPerMinute[i] = doc.signals['bids']?.['1m'] ?? 0;
    columns.chatsPerMinute[i] = doc.signals['chats']?.['1m'] ?? 0;
    columns.engagedUsers5m[i] = doc.signals['engagedUsers']?.['5m'] ?? 0;
    columns.startedAtMs[i] = times.startedAtMs;
    columns.lastEventAtMs[i] = times.lastEventAtMs;
    columns.auctionEndsAtMs[i] = times.auctionEndsAtMs;
    columns.giveawayEndsAtMs[i] = times.giveawayEndsAtMs;
    columns.sellerScores[i] = doc.seller.score ?? NaN;
    const embedding = doc.seller.embedding;
    const usable = embedding?.length === embeddingDims;
    for (let d = 0; d < embeddingDims; d++)
      columns.sellerEmbeddings[i * embeddingDims + d] = usable ? Math.fround(embedding![d]!) : NaN;
  }
  return columns;
}
