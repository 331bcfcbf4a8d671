import { BaseAppConfig, IsPort, loadConfig } from '@crest/platform';
import { Type } from 'class-transformer';
import { IsInt, IsString, Max, Min, MinLength } from 'class-validator';

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

  /**
   * On shutdown, how long gRPC health says NOT_SERVING before the server stops taking calls, so balancers
   * polling health move traffic away first (0: stop at once, right for local runs).
   */
  @Type(() => Number)
  @IsInt({ message: 'RANKING_SHUTDOWN_DRAIN_MS must be an integer' })
  @Min(0)
  @Max(600_000)
  RANKING_SHUTDOWN_DRAIN_MS = 0;

  /**
   * On shutdown, how long calls already in flight may take to finish before the server cuts them off, so a
   * caller that never finishes its request cannot hold the process up.
   */
  @Type(() => Number)
  @IsInt({ message: 'RANKING_SHUTDOWN_GRACE_MS must be an integer' })
  @Min(0)
  @Max(600_000)
  RANKING_SHUTDOWN_GRACE_MS = 10_000;
}

export function loadRankingServiceConfig(env: Record<string, string | undefined>): RankingServiceConfig {
  return loadConfig(RankingServiceConfig, env, 'ranking-service');
}
