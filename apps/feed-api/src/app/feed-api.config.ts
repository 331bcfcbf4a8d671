import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { RETRIEVAL_BACKENDS, type RetrievalBackendName } from '@crest/experiments';
import {
  BaseAppConfig,
  IsBrokerList,
  IsHttpUrl,
  IsIndexName,
  IsOptionalSecret,
  IsPort,
  IsPostgresUrl,
  IsSqlIdentifier,
  loadConfig,
  parseBoolean,
  splitList,
} from '@crest/platform';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';

/**
 * feed-api settings. With nothing set it runs embedded: in-process bus, the signal pipeline, memory
 * retrieval, the in-process ranker, the example GrowthBook payload and the marketplace simulator producing
 * live traffic so the feed moves. Each of KAFKA_BROKERS, ELASTICSEARCH_URL, RANKING_GRPC_URL and
 * GROWTHBOOK_API_HOST + GROWTHBOOK_CLIENT_KEY switches one part to its real backend.
 */
export class FeedApiConfig extends BaseAppConfig {
  @IsPort()
  override PORT = 3000;

  /**
   * Comma-separated `host:port` list. Set: the memory replica and user signals are read from the topics the
   * event-ingestor writes to this Kafka (the SIMULATOR_* settings then do not apply: run `npm run simulate`).
   * Unset: embedded mode.
   */
  @IsBrokerList()
  KAFKA_BROKERS?: string[];

  /** How long startup waits for the replicas to catch up with the topics before serving anyway. */
  @Type(() => Number)
  @IsInt({ message: 'REPLICA_CATCH_UP_TIMEOUT_MS must be an integer' })
  @Min(0)
  @Max(600_000)
  REPLICA_CATCH_UP_TIMEOUT_MS = 60_000;

  /** Set: Elasticsearch serves the feed config's `elasticsearch` backend (the fallback of every carousel). */
  @IsOptional()
  @IsHttpUrl()
  ELASTICSEARCH_URL?: string;

  /** The alias the event-ingestor's Elasticsearch sink writes. */
  @IsIndexName()
  ELASTICSEARCH_INDEX_ALIAS = 'crest-livestreams';

  /** Set: the pull model on this PostgreSQL serves the feed config's `sql` backend (Query Lambdas). */
  @IsOptional()
  @IsPostgresUrl()
  PULL_MODEL_DATABASE_URL?: string;

  /** The schema the event-ingestor writes the pull model to. */
  @IsSqlIdentifier()
  PULL_MODEL_SCHEMA = 'crest';

  /**
   * Retrieval backends held off from the start, comma-separated (`memory`, `elasticsearch`, `sql`): an
   * operator's kill switch. A carousel whose primary is off is served by its fallback, and its `servedBy`
   * says so (`fallback-circuit-open`).
   */
  @Transform(({ value }) => splitList(value))
  @IsIn(RETRIEVAL_BACKENDS, {
    each: true,
    message: `RETRIEVAL_BACKENDS_OFF must list backends among ${RETRIEVAL_BACKENDS.join(', ')}`,
  })
  RETRIEVAL_BACKENDS_OFF: RetrievalBackendName[] = [];

  /** `host:port` of the ranking-service. Unset: rank in process. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9.-]+:\d{1,5}$/, { message: 'RANKING_GRPC_URL must be host:port' })
  RANKING_GRPC_URL?: string;

  /**
   * Send the carousels ranking at the same moment (of this request and of others in flight) to the
   * ranking-service as one `RankBatch` call instead of a `Rank` each. Off only for a ranking-service that
   * predates RankBatch (it would answer UNIMPLEMENTED and every carousel would fall back).
   */
  @Transform(({ value }) => parseBoolean(value))
  @IsBoolean({ message: 'RANKING_GRPC_BATCH must be true or false' })
  RANKING_GRPC_BATCH = true;

  /** GrowthBook's API host (or proxy); with GROWTHBOOK_CLIENT_KEY, features come from there. */
  @ValidateIf(
    (c: FeedApiConfig) => c.GROWTHBOOK_API_HOST !== undefined || c.GROWTHBOOK_CLIENT_KEY !== undefined,
  )
  @IsHttpUrl({ message: 'GROWTHBOOK_API_HOST must be an http(s) URL (required with GROWTHBOOK_CLIENT_KEY)' })
  GROWTHBOOK_API_HOST?: string;

  /** The SDK connection's client key (`sdk-...`). */
  @ValidateIf(
    (c: FeedApiConfig) => c.GROWTHBOOK_API_HOST !== undefined || c.GROWTHBOOK_CLIENT_KEY !== undefined,
  )
  @IsString()
  @MinLength(1, { message: 'GROWTHBOOK_CLIENT_KEY is required with GROWTHBOOK_API_HOST' })
  GROWTHBOOK_CLIENT_KEY?: string;

  /** How often features are fetched from GrowthBook again. */
  @Type(() => Number)
  @IsInt({ message: 'GROWTHBOOK_REFRESH_MS must be an integer' })
  @Min(1_000)
  @Max(3_600_000)
  GROWTHBOOK_REFRESH_MS = 30_000;

  /** The last good GrowthBook payload, served when GrowthBook is unreachable at start. */
  @IsString()
  GROWTHBOOK_CACHE_FILE = join(tmpdir(), 'crest-feed-api-growthbook.json');

  /**
   * Experiment exposures waiting while Kafka is unreachable; past it the oldest are dropped and counted
   * (`crest_exposures_dropped_total`). The batch whose publish is retrying is held besides, so up to twice
   * this is held during an outage. Each takes ~200 bytes.
   */
  @Type(() => Number)
  @IsInt({ message: 'EXPOSURES_MAX_BUFFERED must be an integer' })
  @Min(1)
  @Max(10_000_000)
  EXPOSURES_MAX_BUFFERED = 10_000;

  /** How often buffered exposures are published to `discovery.exposures.v1`. */
  @Type(() => Number)
  @IsInt({ message: 'EXPOSURES_FLUSH_INTERVAL_MS must be an integer' })
  @Min(10)
  @Max(60_000)
  EXPOSURES_FLUSH_INTERVAL_MS = 1_000;

  /** `homeFeed`/`carousel` requests per second per client (user id header, else IP); 0 turns it off. */
  @Type(() => Number)
  @IsInt({ message: 'RATE_LIMIT_PER_SECOND must be an integer' })
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_PER_SECOND = 20;

  /**
   * Load shedding: while the event loop's mean delay over the last sample passes this many ms, requests
   * other than /health and /metrics get 503 with Retry-After at once, instead of queueing behind the
   * overload until every answer is late. 0 (the default) turns it off: at 30 and at 50 it also shed
   * requests at 40 req/s in e2e/reliability/outages, when a backend came back and the loop stalled, so it
   * stays opt-in until those stalls are gone. 200 with a 500 ms sample bounded p99 at 1,000 req/s offered
   * to 1.3 s (off: 20 s).
   */
  @Type(() => Number)
  @IsInt({ message: 'LOAD_SHED_EVENT_LOOP_DELAY_MS must be an integer' })
  @Min(0)
  @Max(60_000)
  LOAD_SHED_EVENT_LOOP_DELAY_MS = 0;

  /** How often the event loop's delay is sampled for load shedding: how fast shedding starts and stops. */
  @Type(() => Number)
  @IsInt({ message: 'LOAD_SHED_SAMPLE_INTERVAL_MS must be an integer' })
  @Min(10)
  @Max(10_000)
  LOAD_SHED_SAMPLE_INTERVAL_MS = 500;

  /**
   * The most a GraphQL operation may cost: 1 per field, a carousel's items x10, a homeFeed or carousel page
   * x`first`. A 10-carousel homeFeed page with every field costs 2,500; aliases add up.
   */
  @Type(() => Number)
  @IsInt({ message: 'GRAPHQL_MAX_COMPLEXITY must be an integer' })
  @Min(1)
  GRAPHQL_MAX_COMPLEXITY = 3_000;

  /** Run the marketplace simulator in-process (embedded mode's source of live events). */
  @Transform(({ value }) => parseBoolean(value))
  @IsBoolean({ message: 'SIMULATOR_ENABLED must be true or false' })
  SIMULATOR_ENABLED = true;

  @Type(() => Number)
  @IsNumber({}, { message: 'SIMULATOR_EVENTS_PER_SECOND must be a number' })
  @Min(1)
  @Max(50_000)
  SIMULATOR_EVENTS_PER_SECOND = 300;

  @Type(() => Number)
  @IsInt({ message: 'SIMULATOR_SEED must be an integer' })
  SIMULATOR_SEED = 42;

  /** Share of deliberately malformed events, to exercise the dead-letter path in a demo. */
  @Type(() => Number)
  @IsNumber({}, { message: 'SIMULATOR_MALFORMED_RATE must be a number' })
  @Min(0)
  @Max(1)
  SIMULATOR_MALFORMED_RATE = 0;

  @Type(() => Number)
  @IsInt({ message: 'SIMULATOR_SELLERS must be an integer' })
  @Min(1)
  @Max(100_000)
  SIMULATOR_SELLERS = 500;

  @Type(() => Number)
  @IsInt({ message: 'SIMULATOR_LIVE_STREAMS must be an integer' })
  @Min(1)
  @Max(100_000)
  SIMULATOR_LIVE_STREAMS = 200;

  /**
   * Signs cursors and tracking tokens. Every instance of a deployment needs the same value; the default (a
   * random one per process) only suits a single embedded instance.
   */
  @IsString()
  @MinLength(16, { message: 'FEED_SECRET must be at least 16 characters' })
  FEED_SECRET = randomBytes(24).toString('base64url');

  /** How long a page cursor stays valid (it is also bound to the viewer it was issued to). */
  @Type(() => Number)
  @IsInt({ message: 'CURSOR_TTL_SECONDS must be an integer' })
  @Min(60)
  @Max(86_400)
  CURSOR_TTL_SECONDS = 3_600;

  /**
   * Mercurius's cache of parsed and validated queries. Tests turn it off: mercurius loads it with a dynamic
   * import, which Jest's CommonJS runtime cannot run.
   */
  @Transform(({ value }) => parseBoolean(value))
  @IsBoolean({ message: 'GRAPHQL_QUERY_CACHE must be true or false' })
  GRAPHQL_QUERY_CACHE = true;

  /**
   * Schema introspection and GraphiQL. Off by default when `NODE_ENV=production` (as the Docker image sets):
   * clients do not need the schema at runtime, and it maps the API for an attacker.
   */
  @Transform(({ value }) => parseBoolean(value))
  @IsBoolean({ message: 'GRAPHQL_INTROSPECTION must be true or false' })
  GRAPHQL_INTROSPECTION = true;

  /**
   * Bearer token for the operators' `/internal/*` routes (explain a user's feed, the experiments in force),
   * which the admin console calls. At least 24 characters. Unset: only callers on this host (loopback) are
   * served.
   */
  @IsOptionalSecret(24)
  FEED_API_OPS_TOKEN?: string;

  /** GrowthBook features payload (embedded mode). Missing or invalid: the built-in feed config serves. */
  @IsString()
  GROWTHBOOK_PAYLOAD_FILE = 'libs/experiments/payloads/home-feed.example.json';
}

export function loadFeedApiConfig(env: Record<string, string | undefined>): FeedApiConfig {
  const production = env['NODE_ENV'] === 'production';
  return loadConfig(
    FeedApiConfig,
    production && !env['GRAPHQL_INTROSPECTION'] ? { ...env, GRAPHQL_INTROSPECTION: 'false' } : env,
    'feed-api',
  );
}
