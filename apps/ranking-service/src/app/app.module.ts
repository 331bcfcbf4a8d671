import { PlatformModule } from '@crest/platform';
import { ModelRegistry } from '@crest/ranking';
import { type DynamicModule, Module } from '@nestjs/common';

import { RankController } from './rank.controller';
import { RankingGrpcShutdown } from './ranking-grpc-shutdown';
import { RankingMetrics } from './ranking-metrics';
import { type RankingServiceConfig } from './ranking-service.config';

@Module({})
export class AppModule {
  static forRoot(config: RankingServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ name: 'ranking-service', mode: 'embedded' })],
      controllers: [RankController],
      providers: [
        { provide: ModelRegistry, useFactory: () => new ModelRegistry() },
        { provide: RankingMetrics, useFactory: () => new RankingMetrics() },
        {
          provide: RankingGrpcShutdown,
          useFactory: () =>
            new RankingGrpcShutdown({
              drainMs: config.RANKING_SHUTDOWN_DRAIN_MS,
              graceMs: config.RANKING_SHUTDOWN_GRACE_MS,
            }),
        },
      ],
    };
  }
}
