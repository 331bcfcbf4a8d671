import { BaseAppConfig, IsPort, loadConfig } from '@crest/platform';

export class RankingServiceConfig extends BaseAppConfig {
  @IsPort()
  override PORT = 3002;
}

export function loadRankingServiceConfig(env: Record<string, string | undefined>): RankingServiceConfig {
  return loadConfig(RankingServiceConfig, env, 'ranking-service');
}
