import { BaseAppConfig, loadConfig } from '@crest/platform';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

export class RankingServiceConfig extends BaseAppConfig {
  @Type(() => Number)
  @IsInt({ message: 'PORT must be an integer' })
  @Min(1)
  @Max(65_535)
  override PORT = 3002;
}

export function loadRankingServiceConfig(env: Record<string, string | undefined>): RankingServiceConfig {
  return loadConfig(RankingServiceConfig, env, 'ranking-service');
}
