import { randomBytes } from 'node:crypto';

import { BaseAppConfig, ConfigValidationError, IsBrokerList, IsPort, loadConfig } from '@crest/platform';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';

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
  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'ADMIN_VIEWER_TOKEN must be at least 24 characters' })
  ADMIN_VIEWER_TOKEN?: string;

  /** Read access plus the operator actions. At least 24 characters, and not the viewer's. */
  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'ADMIN_OPERATOR_TOKEN must be at least 24 characters' })
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
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'ADMIN_DATABASE_URL must be a postgres:// URL' })
  ADMIN_DATABASE_URL?: string;

  @IsString()
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'ADMIN_DATABASE_SCHEMA must be a lowercase SQL identifier' })
  ADMIN_DATABASE_SCHEMA = 'crest_admin';
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
