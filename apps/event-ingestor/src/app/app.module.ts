import { PlatformModule } from '@crest/platform';
import { type DynamicModule, Module } from '@nestjs/common';

import { type EventIngestorConfig } from './event-ingestor.config';

@Module({})
export class AppModule {
  static forRoot(_config: EventIngestorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ name: 'event-ingestor', mode: 'embedded' })],
    };
  }
}
