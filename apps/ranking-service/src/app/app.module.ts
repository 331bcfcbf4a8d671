import { PlatformModule } from '@crest/platform';
import { type DynamicModule, Module } from '@nestjs/common';

import { type RankingServiceConfig } from './ranking-service.config';

@Module({})
export class AppModule {
  static forRoot(_config: RankingServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ name: 'ranking-service', mode: 'embedded' })],
    };
  }
}
