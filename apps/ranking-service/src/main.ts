import 'reflect-metadata';

import { bootstrapApp } from '@crest/platform';

import { AppModule } from './app/app.module';
import { connectRankingGrpc } from './app/ranking-grpc';
import { loadRankingServiceConfig } from './app/ranking-service.config';

void bootstrapApp({
  name: 'ranking-service',
  loadConfig: () => loadRankingServiceConfig(process.env),
  module: (config) => AppModule.forRoot(config),
  beforeListen: (app, config) => connectRankingGrpc(app, config),
});
