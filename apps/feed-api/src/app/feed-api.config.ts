import { BaseAppConfig, IsBrokerList, IsPort, loadConfig, parseBoolean } from '@crest/platform';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsNumber, Max, Min } from 'class-validator';

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
}

export function loadFeedApiConfig(env: Record<string, string | undefined>): FeedApiConfig {
  return loadConfig(FeedApiConfig, env, 'feed-api');
}
