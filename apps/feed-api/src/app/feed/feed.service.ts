import { EXPOSURES_TOPIC } from '@crest/event-schemas';
import {
  Experiments,
  type ExperimentsOverview,
  ExposureLog,
  type FeedAttributes,
  type HomeFeedConfig,
} from '@crest/experiments';
import {
  type ComposedCarousel,
  explainHomeFeed,
  type FeedItem,
  type FeedUser,
  HomeFeedComposer,
  type HomeFeedExplanation,
  type RetrievalBackends,
} from '@crest/feed';
import { type EventBus } from '@crest/messaging';
import { GrpcRanker, InProcessRanker, type Ranker } from '@crest/ranking';
import {
  ElasticsearchRetriever,
  GuardedBackend,
  MemoryRetriever,
  RetrievalMetrics,
  SqlRetriever,
  SqlStore,
} from '@crest/retrieval';
import { Client } from '@elastic/elasticsearch';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

import { FEED_API_CONFIG } from '../embedded/embedded-marketplace.service';
import { EVENT_BUS } from '../embedded/event-bus.provider';
import { type FeedApiConfig } from '../feed-api.config';
import { LIVE_MARKETPLACE, type LiveMarketplace } from '../live-marketplace';
import { BackendSwitchListener } from './backend-switches';
import { registerExposureMetrics } from './exposure-metrics';
import { FeedCursors, type FeedCursorState } from './feed-cursor';

export interface FeedPage<T> {
  nodes: T[];
  /**
   * The cursor state after node `index`. Built on demand: a page has a cursor per node, each listing what
   * was served up to it, and clients ask for one or two of them.
   */
  stateAt(index: number): FeedCursorState;
  hasNextPage: boolean;
}

const NO_STATES = (): FeedCursorState => {
  throw new RangeError('an empty page has no cursor');
};

/**
 * The home feed: the composer over the memory replica (and Elasticsearch as the fallback when
 * ELASTICSEARCH_URL is set), the ranking-service over gRPC (RANKING_GRPC_URL) or the in-process ranker, and
 * GrowthBook features from GrowthBook (GROWTHBOOK_API_HOST) or the local payload file; exposures go to the
 * event bus.
 */
/** What a request is targeted by beside its user: the app's session, country, platform and version. */
export type FeedTargeting = Omit<FeedAttributes, 'userId' | 'newUser'>;

/** `carousel(id)` named a carousel that is not in the viewer's feed config. */
export class UnknownCarouselError extends Error {
  constructor(id: string, known: readonly string[]) {
    super(`carousel "${id}" is not in this viewer's feed (its carousels: ${known.join(', ')})`);
    this.name = 'UnknownCarouselError';
  }
}

@Injectable()
export class FeedService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FeedService');
  readonly metrics = new RetrievalMetrics();
  readonly memory: GuardedBackend;
  /** The retrieval backends by the names the feed config uses. */
  readonly backends: RetrievalBackends;
  readonly ranker: Ranker;
  readonly cursors: FeedCursors;
  private readonly elasticsearch?: Client;
  private readonly sqlStore?: SqlStore;
  private readonly composer: HomeFeedComposer;
  private readonly exposures: ExposureLog;
  private readonly switches: BackendSwitchListener;
  private experiments!: Experiments;

  constructor(
    @Inject(LIVE_MARKETPLACE) private readonly marketplace: LiveMarketplace,
    @Inject(EVENT_BUS) bus: EventBus,
    @Inject(FEED_API_CONFIG) private readonly config: FeedApiConfig,
  ) {
    this.memory = new GuardedBackend(new MemoryRetriever(marketplace.index), { metrics: this.metrics });
    this.backends = { memory: this.memory };
    if (config.ELASTICSEARCH_URL) {
      this.elasticsearch = new Client({ node: config.ELASTICSEARCH_URL });
      this.backends.elasticsearch = new GuardedBackend(
        new ElasticsearchRetriever(this.elasticsearch, { index: config.ELASTICSEARCH_INDEX_ALIAS }),
        { metrics: this.metrics },
      );
    }
    if (config.PULL_MODEL_DATABASE_URL) {
      this.sqlStore = new SqlStore({
        connectionString: config.PULL_MODEL_DATABASE_URL,
        schema: config.PULL_MODEL_SCHEMA,
      });
      this.backends.sql = new GuardedBackend(new SqlRetriever(this.sqlStore), { metrics: this.metrics });
    }
    for (const name of config.RETRIEVAL_BACKENDS_OFF) {
      const backend = this.backends[name];
      if (!backend)
        throw new Error(
          `RETRIEVAL_BACKENDS_OFF names ${name}, which is not configured here (configured: ${Object.keys(this.backends).join(', ')})`,
        );
      backend.isolate();
    }
    this.ranker = config.RANKING_GRPC_URL
      ? new GrpcRanker({ address: config.RANKING_GRPC_URL, batch: config.RANKING_GRPC_BATCH })
      : new InProcessRanker();
    this.composer = new HomeFeedComposer({
      backends: this.backends,
      ranker: this.ranker,
      trackingSecret: config.FEED_SECRET,
      metrics: this.metrics,
    });
    this.cursors = new FeedCursors(config.FEED_SECRET, { ttlMs: config.CURSOR_TTL_SECONDS * 1_000 });
    this.exposures = new ExposureLog(bus, {
      topic: EXPOSURES_TOPIC,
      maxBuffered: config.EXPOSURES_MAX_BUFFERED,
      flushIntervalMs: config.EXPOSURES_FLUSH_INTERVAL_MS,
      logger: { log: (m) => this.logger.log(m), warn: (m) => this.logger.warn(m) },
    });
    registerExposureMetrics(this.metrics.registry, this.exposures.stats);
    this.switches = new BackendSwitchListener(bus, this.backends, {
      log: (m) => this.logger.log(m),
      warn: (m) => this.logger.warn(m),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // Operators' kill switches (admin, through the bus) override RETRIEVAL_BACKENDS_OFF from here on.
    await this.switches.start();
    const growthbook = this.config.GROWTHBOOK_API_HOST
      ? {
          apiHost: this.config.GROWTHBOOK_API_HOST,
          clientKey: this.config.GROWTHBOOK_CLIENT_KEY,
          refreshIntervalMs: this.config.GROWTHBOOK_REFRESH_MS,
          cacheFile: this.config.GROWTHBOOK_CACHE_FILE,
        }
      : { payloadFile: this.config.GROWTHBOOK_PAYLOAD_FILE };
    this.experiments = await Experiments.start({
      ...growthbook,
      exposures: this.exposures,
      logger: { log: (m) => this.logger.log(m), error: (m) => this.logger.error(m) },
    });
    if (this.ranker instanceof GrpcRanker)
      await this.ranker.connect().catch((error: Error) =>
        // Serving goes on: every carousel falls back to retrieval order until the service is back.
        this.logger.warn(`ranking-service: ${error.message}; ranking in retrieval order until it answers`),
      );
    this.logger.log(
      `feature payload: ${this.experiments.status().source}; retrieval: ${Object.entries(this.backends)
        .map(([name, backend]) => (backend.circuit === 'isolated' ? `${name} (off)` : name))
        .join(
          ' + ',
        )}; ranking: ${this.config.RANKING_GRPC_URL ? `gRPC ${this.config.RANKING_GRPC_URL}${this.config.RANKING_GRPC_BATCH ? ' (batched)' : ''}` : 'in process'}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.switches.stop();
    this.experiments?.stop();
    await this.exposures.close();
    if (this.ranker instanceof GrpcRanker) this.ranker.close();
    await this.elasticsearch?.close();
    await this.sqlStore?.close();
  }

  /** What feed-api knows of a user: follows, blocks and decayed affinities from the user signals. */
  userOf(userId: string): FeedUser {
    const signals = this.marketplace.userSignals(userId);
    const categoryAffinities: Record<string, number> = {};
    for (const category of signals.followedCategories) categoryAffinities[category] = 1;
    for (const [category, score] of Object.entries(signals.categoryAffinity))
      if (score > 0) categoryAffinities[category] = (categoryAffinities[category] ?? 0) + score;
    const newUser = signals.followedSellers.length === 0 && Object.keys(categoryAffinities).length === 0;
    return {
      userId,
      newUser,
      followedSellers: signals.followedSellers,
      categoryAffinities,
      embedding: this.tasteOf(signals.followedSellers),
      blockedSellers: signals.blockedSellers,
    };
  }

  async homeFeed(
    userId: string,
    first: number,
    after: FeedCursorState | null,
    targeting: FeedTargeting = {},
  ): Promise<FeedPage<ComposedCarousel>> {
    const user = this.userOf(userId);
    const config = this.configFor(user, targeting);
    const feed = await this.composer.compose(config, {
      user,
      now: Date.now(),
      excludedIds: after?.served ?? [],
    });
    const shownBefore = new Set(after?.carousels ?? []);
    const fresh = feed.carousels.filter((c) => !shownBefore.has(c.id));
    const page = fresh.slice(0, first);
    const stateAt = (index: number): FeedCursorState => {
      const shown = page.slice(0, index + 1);
      return {
        scope: 'home',
        carousels: [...(after?.carousels ?? []), ...shown.map((c) => c.id)],
        served: [...(after?.served ?? []), ...shown.flatMap((c) => c.items.map((i) => i.livestreamId))],
      };
    };
    return { nodes: page, stateAt, hasNextPage: fresh.length > first };
  }

  async carousel(
    userId: string,
    id: string,
    first: number,
    after: FeedCursorState | null,
    targeting: FeedTargeting = {},
  ): Promise<FeedPage<FeedItem>> {
    const user = this.userOf(userId);
    const config = this.configFor(user, targeting);
    const carousels = config.carousels;
    const carousel = carousels.find((c) => c.id === id);
    if (!carousel) {
      // A cursor for it was signed earlier: the feed config changed since (an experiment ended), so the
      // scroll ends. Without one, the caller asked for a carousel this viewer's feed never had.
      if (after) return { nodes: [], stateAt: NO_STATES, hasNextPage: false };
      throw new UnknownCarouselError(
        id,
        carousels.map((c) => c.id),
      );
    }
    const single: HomeFeedConfig = {
      requestBudgetMs: config.requestBudgetMs,
      carousels: [{ ...carousel, size: { page: first, min: 0 } }],
    };
    const feed = await this.composer.compose(single, {
      user,
      now: Date.now(),
      excludedIds: after?.served ?? [],
    });
    const shown = feed.carousels[0];
    if (!shown) return { nodes: [], stateAt: NO_STATES, hasNextPage: false };
    return this.itemsPage(id, shown.items, shown.more.length > 0, after?.served ?? []);
  }

  /**
   * Why a user's first home-feed page is what it is: composed as homeFeed would for a request without
   * targeting headers (country, platform, app version), with every carousel's candidates explained.
   * `forcedVariations` (experiment key -> variation index) shows a variation the targeting would not give,
   * e.g. one an experiment gives by country; nothing is logged as an exposure.
   */
  async explain(
    userId: string,
    forcedVariations: Record<string, number> = {},
    targeting: FeedTargeting = {},
  ): Promise<HomeFeedExplanation> {
    const user = this.userOf(userId);
    const experiments = this.experiments.forRequest(
      { ...targeting, userId, newUser: user.newUser },
      { forcedVariations, trackExposures: false },
    );
    const { config, source } = experiments.feedConfig();
    const feed = await this.composer.compose(config, { user, now: Date.now(), explain: true });
    return explainHomeFeed({
      user,
      config,
      configSource: source,
      assignments: experiments.assignments(),
      feed,
    });
  }

  /** The experiments in force, and where this instance takes them from. */
  experimentsOverview(): ExperimentsOverview {
    const fromGrowthBook = this.config.GROWTHBOOK_API_HOST !== undefined;
    return {
      ...this.experiments.snapshot(),
      growthbook: {
        apiHost: this.config.GROWTHBOOK_API_HOST ?? null,
        payloadFile: fromGrowthBook ? null : this.config.GROWTHBOOK_PAYLOAD_FILE,
      },
    };
  }

  itemsPage(
    scope: string,
    items: FeedItem[],
    hasNextPage: boolean,
    servedBefore: readonly string[],
  ): FeedPage<FeedItem> {
    const stateAt = (index: number): FeedCursorState => ({
      scope,
      carousels: [],
      served: [...servedBefore, ...items.slice(0, index + 1).map((item) => item.livestreamId)],
    });
    return { nodes: items, stateAt, hasNextPage };
  }

  private configFor(user: FeedUser, targeting: FeedTargeting): HomeFeedConfig {
    return this.experiments
      .forRequest({ ...targeting, userId: user.userId, newUser: user.newUser })
      .feedConfig().config;
  }

  /** A user's taste: the mean embedding of the sellers they follow that have one. */
  private tasteOf(sellers: readonly string[]): number[] | null {
    let sum: number[] | null = null;
    let count = 0;
    for (const sellerId of sellers)
      for (const doc of this.marketplace.index.liveOfSeller(sellerId)) {
        const embedding = doc.seller.embedding;
        if (!embedding) continue;
        sum = sum ? sum.map((x, i) => x + embedding[i]!) : [...embedding];
        count++;
        break;
      }
    return sum && count > 0 ? sum.map((x) => x / count) : null;
  }
}
