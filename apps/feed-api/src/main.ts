import 'reflect-metadata';

import { bootstrapApp } from '@crest/platform';

import { AppModule } from './app/app.module';
import { loadFeedApiConfig } from './app/feed-api.config';
import { configureFeedApiHttp } from './app/feed-api.http';

void bootstrapApp({
  name: 'feed-api',
  loadConfig: () => loadFeedApiConfig(process.env),
  module: (config) => AppModule.forRoot(config),
  beforeListen: (app, config) => configureFeedApiHttp(app, config),
});
