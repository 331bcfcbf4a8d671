import { type DynamicModule, Module } from '@nestjs/common';

import { APP_IDENTITY, type AppIdentity, HealthController } from './health.controller';

/** What every Crest app gets: the health endpoint, tagged with the app's identity. */
@Module({})
export class PlatformModule {
  static forRoot(identity: AppIdentity): DynamicModule {
    return {
      module: PlatformModule,
      controllers: [HealthController],
      providers: [{ provide: APP_IDENTITY, useValue: identity }],
      exports: [APP_IDENTITY],
    };
  }
}
