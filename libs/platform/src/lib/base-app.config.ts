import { Transform } from 'class-transformer';
import { IsIn, IsString } from 'class-validator';

import { IsPort } from './config-validators';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Settings every Crest app reads. Each app's config class extends this and sets its own default port. */
export abstract class BaseAppConfig {
  @IsString()
  HOST = '127.0.0.1';

  @IsPort()
  abstract PORT: number;

  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of: ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'log';

  /** JSON lines (for log shippers) or Nest's coloured console format. */
  @IsIn(['json', 'pretty'], { message: 'LOG_FORMAT must be json or pretty' })
  LOG_FORMAT: 'json' | 'pretty' = 'pretty';
}
