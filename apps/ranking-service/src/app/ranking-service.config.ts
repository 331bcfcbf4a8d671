import { BaseAppConfig, IsPort, loadConfig } from '@crest/platform';
import { IsString, MinLength } from 'class-validator';

export class RankingServiceConfig extends BaseAppConfig {
  /** HTTP: /health and /metrics. */
  @IsPort()
  override PORT = 3002;

  /** gRPC: the Rank service and gRPC health checking. */
  @IsPort()
  RANKING_GRPC_PORT = 50051;

  @IsString()
  @MinLength(1)
  RANKING_GRPC_HOST = '127.0.0.1';
}

export function loadRankingServiceConfig(env: Record<string, string | undefined>): RankingServiceConfig {
  return loadConfig(RankingServiceConfig, env, 'ranking-service');
}
