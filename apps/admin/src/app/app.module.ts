import { type EventBus, KafkaEventBus } from '@crest/messaging';
import { PlatformModule } from '@crest/platform';
import { type DynamicModule, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';

import { type AdminConfig } from './admin.config';
import { ADMIN_CONFIG, ADMIN_EVENT_BUS } from './admin.tokens';
import { AuditController } from './audit/audit.controller';
import { AuditLog } from './audit/audit-log';
import { AdminAuthGuard } from './auth/admin-auth.guard';
import { AdminCredentials, AdminSessions } from './auth/admin-credentials';
import { AuthController } from './auth/auth.controller';
import { BackendsController } from './backends/backends.controller';
import { AdminOpenApi, OpenApiController } from './openapi.controller';

export interface AdminOverrides {
  /** Instead of Kafka from KAFKA_BROKERS (tests: the in-process bus). */
  eventBus?: EventBus;
}

@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(ADMIN_EVENT_BUS) private readonly bus: EventBus | null,
  ) {}

  static forRoot(config: AdminConfig, overrides: AdminOverrides = {}): DynamicModule {
    const eventBus =
      overrides.eventBus ??
      (config.KAFKA_BROKERS
        ? new KafkaEventBus({ brokers: config.KAFKA_BROKERS, clientId: 'admin', createTopics: true })
        : null);
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ name: 'admin', mode: 'embedded' })],
      controllers: [AuthController, AuditController, BackendsController, OpenApiController],
      providers: [
        { provide: ADMIN_CONFIG, useValue: config },
        AdminOpenApi,
        { provide: ADMIN_EVENT_BUS, useValue: eventBus },
        {
          provide: AdminCredentials,
          useFactory: () => {
            const credentials = AdminCredentials.fromConfig(config);
            if (credentials.generatedFile)
              new Logger('admin').log(
                `no ADMIN_VIEWER_TOKEN / ADMIN_OPERATOR_TOKEN set: generated tokens are in ${credentials.generatedFile}`,
              );
            return credentials;
          },
        },
        {
          provide: AdminSessions,
          useValue: new AdminSessions(config.ADMIN_SESSION_SECRET, config.ADMIN_SESSION_HOURS * 3_600_000),
        },
        {
          provide: AuditLog,
          useValue: new AuditLog(config.ADMIN_DATABASE_URL, config.ADMIN_DATABASE_SCHEMA),
        },
        { provide: APP_GUARD, useClass: AdminAuthGuard },
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.audit.close();
    await this.bus?.close();
  }
}
