import 'reflect-metadata';

import { bootstrapApp } from '@crest/platform';

import { AppModule } from './app/app.module';
import { loadEventIngestorConfig } from './app/event-ingestor.config';

void bootstrapApp({
  name: 'event-ingestor',
  loadConfig: () => loadEventIngestorConfig(process.env),
  module: (config) => AppModule.forRoot(config),
});
