import 'reflect-metadata';

import { bootstrapApp } from '@crest/platform';

import { loadAdminConfig } from './app/admin.config';
import { configureAdminHttp } from './app/admin-http';
import { AppModule } from './app/app.module';

void bootstrapApp({
  name: 'admin',
  loadConfig: () => loadAdminConfig(process.env),
  module: (config) => AppModule.forRoot(config),
  beforeListen: (app) => configureAdminHttp(app),
});
