import { randomBytes } from 'node:crypto';

import { MARKETPLACE_TOPICS } from '@crest/event-schemas';
import {
  BaseAppConfig,
  ConfigValidationError,
  IsBrokerList,
  IsConsumerGroupId,
  IsHttpUrl,
  IsOptionalSecret,
  IsPort,
  IsPostgresUrl,
  IsSqlIdentifier,
  loadConfig,
  splitList,
} from '@crest/platform';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';

/**
 * admin settings. Every page and API needs a token: a viewer's or an operator's (kill switch, replays).
 * Unset, both are generated at start and written to ADMIN_TOKENS_FILE (mode 0600), never logged.
 */
export class AdminConfig extends BaseAppConfig {
  @IsPort()
  override PORT = 3003;

  /** Comma-separated `host:port` list: the kill switch reaches every feed-api through it. */
  @IsBrokerList()
  KAFKA_BROKERS?: string[];

  /** Read-only access. At least 24 characters. */
  @IsOptionalSecret(24)
  ADMIN_VIEWER_TOKEN?: string;

  /** Read access plus the operator actions. At least 24 characters, and not the viewer's. */
  @IsOptionalSecret(24)
  ADMIN_OPERATOR_TOKEN?: string;

  /** Where generated tokens go when the two above are unset. */
  @IsString()
  ADMIN_TOKENS_FILE = '.crest/admin-tokens.json';

  /**
   * Signs session cookies and CSRF tokens. Every admin instance behind one address needs the same value;
   * the default (random per process) logs everyone out on restart.
   */
  @IsString()
  @MinLength(32, { message: 'ADMIN_SESSION_SECRET must be at least 32 characters' })
  ADMIN_SESSION_SECRET = randomBytes(32).toString('base64url');

  /** Session lifetime. */
  @Type(() => Number)
  @IsInt({ message: 'ADMIN_SESSION_HOURS must be a whole number of hours' })
  @Min(1)
  @Max(168)
  ADMIN_SESSION_HOURS = 12;

  /**
   * The audit log's PostgreSQL. Unset: operator actions are refused (nothing unaudited), reads still work.
   */
  @IsOptional()
  @IsPostgresUrl()
  ADMIN_DATABASE_URL?: string;

  @IsSqlIdentifier()
  ADMIN_DATABASE_SCHEMA = 'crest_admin';

  /**
   * Comma-separated base URLs of the feed-api instances: their /metrics feed the backends page, the first
   * answers explain and experiments.
   */
  @Transform(({ value }) => splitList(value))
  @IsArray()
  @ArrayMinSize(1, { message: 'ADMIN_FEED_API_URLS must name at least one URL' })
  @IsHttpUrl({ each: true, message: 'ADMIN_FEED_API_URLS must be comma-separated http(s) URLs' })
  ADMIN_FEED_API_URLS: string[] = ['http://127.0.0.1:3000'];

  /** The event-ingestor's base URL: its /metrics feed the pipeline page. */
  @IsHttpUrl()
  ADMIN_INGESTOR_URL = 'http://127.0.0.1:3001';

  /** feed-api's FEED_API_OPS_TOKEN, for its /internal/* routes (explain, experiments). */
  @IsOptionalSecret(24)
  FEED_API_OPS_TOKEN?: string;

  /** The GrowthBook app the experiments page links to. */
  @IsHttpUrl()
  ADMIN_GROWTHBOOK_APP_URL = 'https://app.growthbook.io';

  /** How often the services' /metrics are read; the pages keep an hour of them. */
  @Type(() => Number)
  @IsInt({ message: 'ADMIN_SCRAPE_INTERVAL_MS must be a whole number of milliseconds' })
  @Min(500)
  @Max(60_000)
  ADMIN_SCRAPE_INTERVAL_MS = 5_000;

  /** The event-ingestor's consumer group (its INGEST_GROUP_ID), for the lag per partition. */
  @IsConsumerGroupId()
  INGEST_GROUP_ID = 'crest.event-ingestor';

  /**
   * Topics whose dead letters (`<topic>.dlq`) the dead-letters page reads and replays into. Default: the
   * marketplace topics the event-ingestor consumes.
   */
  @Transform(({ value }) => splitList(value))
  @IsArray()
  @ArrayMinSize(1, { message: 'ADMIN_DEAD_LETTER_TOPICS must name at least one topic' })
  @Matches(/^[A-Za-z0-9._-]+$/, { each: true, message: 'ADMIN_DEAD_LETTER_TOPICS must be topic names' })
  ADMIN_DEAD_LETTER_TOPICS: string[] = [...MARKETPLACE_TOPICS];

  /** Dead letters kept in memory per topic for browsing (the newest); counts stay exact beyond it. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(100_000)
  ADMIN_DEAD_LETTERS_KEPT = 5_000;
}

export function loadAdminConfig(env: Record<string, string | undefined>): AdminConfig {
  const config = loadConfig(AdminConfig, env, 'admin');
  const problems: string[] = [];
  if ((config.ADMIN_VIEWER_TOKEN === undefined) !== (config.ADMIN_OPERATOR_TOKEN === undefined))
    problems.push(
      'set both ADMIN_VIEWER_TOKEN and ADMIN_OPERATOR_TOKEN, or neither (then both are generated)',
    );
  else if (
    config.ADMIN_VIEWER_TOKEN !== undefined &&
    config.ADMIN_VIEWER_TOKEN === config.ADMIN_OPERATOR_TOKEN
  )
    problems.push('ADMIN_OPERATOR_TOKEN must differ from ADMIN_VIEWER_TOKEN');
  if (problems.length > 0) throw new ConfigValidationError(problems, 'admin');
  return config;
}
