import { PlatformModule } from '@crest/platform';
import { type DynamicModule, Module } from '@nestjs/common';

import { type EventIngestorConfig } from './event-ingestor.config';
import { IngestorController } from './ingestor.controller';
import { INGESTOR_CONFIG, IngestorService } from './ingestor.service';

@Module({})
export class AppModule {
  static forRoot(config: EventIngestorConfig): DynamicModule {
    const mode = [config.KAFKA_BROKERS ? `kafka ${config.KAFKA_BROKERS.join(',')}` : 'in-process bus']
      .concat(config.ELASTICSEARCH_URL ? [`elasticsearch ${config.ELASTICSEARCH_URL}`] : [])
      .join(' + ');
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ name: 'event-ingestor', mode })],
      controllers: [IngestorController],
      providers: [{ provide: INGESTOR_CONFIG, useValue: config }, IngestorService],
    };
  }
}
