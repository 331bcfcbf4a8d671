import { PlatformModule } from '@crest/platform';
import { type DynamicModule, Module } from '@nestjs/common';

import { type AdminConfig } from './admin.config';

@Module({})
export class AppModule {
  static forRoot(_config: AdminConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ name: 'admin', mode: 'embedded' })],
    };
  }
}
