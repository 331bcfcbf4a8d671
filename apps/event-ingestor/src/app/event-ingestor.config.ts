import {
  BaseAppConfig,
  IsBrokerList,
  IsConsumerGroupId,
  IsHttpUrl,
  IsIndexName,
  IsPort,
  IsPostgresUrl,
  IsSqlIdentifier,
  loadConfig,
} from '@crest/platform';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class EventIngestorConfig extends BaseAppConfig {
  @IsPort()
  override PORT = 3001;

  /** Comma-separated `host:port` list. Unset: an in-process bus, which nothing outside this process feeds. */
  @IsBrokerList()
  KAFKA_BROKERS?: string[];

  /** Set: docs are also indexed into this Elasticsearch. */
  @IsOptional()
  @IsHttpUrl()
  ELASTICSEARCH_URL?: string;

  /** Set: the pull model's store (docs, raw events, minute rollups, follows) on this PostgreSQL 14+. */
  @IsOptional()
  @IsPostgresUrl()
  PULL_MODEL_DATABASE_URL?: string;

  /** The schema holding the pull model's tables (created and migrated at start). */
  @IsSqlIdentifier()
  PULL_MODEL_SCHEMA = 'crest';

  /** Alias the Elasticsearch sink writes through (and retrieval reads). */
  @IsIndexName()
  ELASTICSEARCH_INDEX_ALIAS = 'crest-livestreams';

  @IsConsumerGroupId()
  INGEST_GROUP_ID = 'crest.event-ingestor';

  /**
   * How long the group waits for a member that stopped heartbeating before its partitions move: after a
   * crash, the restarted ingestor resumes that long later. Kafka's broker refuses less than its
   * `group.min.session.timeout.ms` (6 s by default).
   */
  @Type(() => Number)
  @IsInt({ message: 'KAFKA_SESSION_TIMEOUT_MS must be an integer' })
  @Min(6_000)
  @Max(300_000)
  KAFKA_SESSION_TIMEOUT_MS = 10_000;

  /** A changed stream's doc goes to the sinks at most once per this interval. */
  @Type(() => Number)
  @IsInt({ message: 'EMIT_INTERVAL_MS must be an integer' })
  @Min(10)
  @Max(60_000)
  EMIT_INTERVAL_MS = 250;

  /** Events older than the watermark by more than this are dropped and counted. */
  @Type(() => Number)
  @IsInt({ message: 'ALLOWED_LATENESS_MS must be an integer' })
  @Min(0)
  @Max(3_600_000)
  ALLOWED_LATENESS_MS = 30_000;
}

export function loadEventIngestorConfig(env: Record<string, string | undefined>): EventIngestorConfig {
  return loadConfig(EventIngestorConfig, env, 'event-ingestor');
}
