import { randomBytes } from 'node:crypto';

import { BaseAppConfig, IsBrokerList, IsPort, loadConfig, parseBoolean } from '@crest/platform';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsNumber, IsString, Max, Min, MinLength } from 'class-validator';

/**
 * feed-api settings. With nothing set it runs embedded: in-process bus, and the marketplace simulator
 * producing live traffic so the feed moves.
 */
export class FeedApiConfig extends BaseAppConfig {
  @IsPort()
  override PORT = 3000;

  /** Comma-separated `host:port` list. Set: events travel through this Kafka; unset: an in-process bus. */
  @IsBrokerList()
  KAFKA_BROKERS?: string[];

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

  /**
   * Mercurius's cache of parsed and validated queries. Tests turn it off: mercurius loads it with a dynamic
   * import, which Jest's CommonJS runtime cannot run.
   */
  @Transform(({ value }) => parseBoolean(value))
  @IsBoolean({ message: 'GRAPHQL_QUERY_CACHE must be true or false' })
  GRAPHQL_QUERY_CACHE = true;

  /** Schema introspection and GraphiQL. Turn off in production: clients do not need the schema at runtime. */
  @Transform(({ value }) => parseBoolean(value))
  @IsBoolean({ message: 'GRAPHQL_INTROSPECTION must be true or false' })
  GRAPHQL_INTROSPECTION = true;

  /** GrowthBook features payload (embedded mode). Missing or invalid: the built-in feed config serves. */
  @IsString()
  GROWTHBOOK_PAYLOAD_FILE = 'libs/experiments/payloads/home-feed.example.json';
}

export function loadFeedApiConfig(env: Record<string, string | undefined>): FeedApiConfig {
  return loadConfig(FeedApiConfig, env, 'feed-api');
}
