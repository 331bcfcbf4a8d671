import { type EventBus, KafkaEventBus } from '@crest/messaging';
import { PlatformModule } from '@crest/platform';
import {
  type DynamicModule,
  Inject,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';

import { type AdminConfig } from './admin.config';
import { ADMIN_CONFIG, ADMIN_EVENT_BUS, DEAD_LETTER_INDEX } from './admin.tokens';
import { AuditController } from './audit/audit.controller';
import { AuditLog } from './audit/audit-log';
import { AdminAuthGuard } from './auth/admin-auth.guard';
import { AdminCredentials, AdminSessions } from './auth/admin-credentials';
import { AuthController } from './auth/auth.controller';
import { BackendsController } from './backends/backends.controller';
import { ConsoleController } from './console/console.controller';
import { DeadLetterIndex } from './dead-letters/dead-letter-index';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { ExperimentsController } from './experiments/experiments.controller';
import { FeedApiClient } from './feed-api-client';
import { AdminOpenApi, OpenApiController } from './openapi.controller';
import { PipelineController } from './pipeline/pipeline.controller';
import { MetricsHistory } from './telemetry/metrics-history';

export interface AdminOverrides {
  /** Instead of Kafka from KAFKA_BROKERS (tests: the in-process bus). */
  eventBus?: EventBus;
}

@Module({})
export class AppModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('admin');

  constructor(
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(ADMIN_EVENT_BUS) private readonly bus: EventBus | null,
    @Inject(MetricsHistory) private readonly history: MetricsHistory,
    @Inject(DEAD_LETTER_INDEX) private readonly deadLetters: DeadLetterIndex | null,
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
      controllers: [
        AuthController,
        AuditController,
        BackendsController,
        PipelineController,
        ExperimentsController,
        DeadLettersController,
        OpenApiController,
        ConsoleController,
      ],
      providers: [
        { provide: ADMIN_CONFIG, useValue: config },
        {
          provide: MetricsHistory,
          useValue: new MetricsHistory(
            [
              ...config.ADMIN_FEED_API_URLS.map((url) => ({ job: 'feed-api', url })),
              { job: 'event-ingestor', url: config.ADMIN_INGESTOR_URL },
            ],
            { intervalMs: config.ADMIN_SCRAPE_INTERVAL_MS },
          ),
        },
        {
          provide: FeedApiClient,
          useValue: new FeedApiClient(config.ADMIN_FEED_API_URLS[0]!, config.FEED_API_OPS_TOKEN),
        },
        {
          provide: DEAD_LETTER_INDEX,
          useValue: eventBus
            ? new DeadLetterIndex(eventBus, config.ADMIN_DEAD_LETTER_TOPICS, config.ADMIN_DEAD_LETTERS_KEPT)
            : null,
        },
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

  async onApplicationBootstrap(): Promise<void> {
    this.history.start();
    // Kafka may come up after admin: the dead-letters page says so until the index has started.
    void this.deadLetters
      ?.start()
      .catch((error: Error) => this.logger.error(`dead letters not readable: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.history.stop();
    await this.deadLetters?.stop();
    await this.audit.close();
    await this.bus?.close();
  }
}
