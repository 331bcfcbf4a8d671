import { BaseAppConfig, loadConfig } from '@crest/platform';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

export class EventIngestorConfig extends BaseAppConfig {
  @Type(() => Number)
  @IsInt({ message: 'PORT must be an integer' })
  @Min(1)
  @Max(65_535)
  override PORT = 3001;
}

export function loadEventIngestorConfig(env: Record<string, string | undefined>): EventIngestorConfig {
  return loadConfig(EventIngestorConfig, env, 'event-ingestor');
}
