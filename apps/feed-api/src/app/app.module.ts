import { PlatformModule } from '@crest/platform';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { NoSchemaIntrospectionCustomRule } from 'graphql';

import { EmbeddedMarketplaceService, FEED_API_CONFIG } from './embedded/embedded-marketplace.service';
import { eventBusProvider } from './embedded/event-bus.provider';
import { MarketplaceController } from './embedded/marketplace.controller';
import { ClientErrorsFilter } from './feed/client-errors.filter';
import { FeedResolver } from './feed/feed.resolver';
import { FeedService } from './feed/feed.service';
import { FeedMetricsController } from './feed/feed-metrics.controller';
import { OpsController } from './feed/ops.controller';
import { OpsGuard } from './feed/ops.guard';
import { complexityLimit } from './feed/query-complexity';
import { type FeedApiConfig } from './feed-api.config';
import { LIVE_MARKETPLACE } from './live-marketplace';
import { ReplicatedMarketplaceService } from './replicated/replicated-marketplace.service';

@Module({})
export class AppModule {
  static forRoot(config: FeedApiConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({
          name: 'feed-api',
          mode: config.KAFKA_BROKERS ? `kafka ${config.KAFKA_BROKERS.join(',')}` : 'embedded',
        }),
        GraphQLModule.forRoot<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          autoSchemaFile: true,
          sortSchema: true,
          graphiql: config.GRAPHQL_INTROSPECTION,
          validationRules: config.GRAPHQL_INTROSPECTION ? [] : [NoSchemaIntrospectionCustomRule],
          queryDepth: 8,
          // Compiles a query to JavaScript after its first run (graphql-jit): the feed query repeats.
          jit: 1,
          cache: config.GRAPHQL_QUERY_CACHE,
          hooks: { preExecution: complexityLimit(config.GRAPHQL_MAX_COMPLEXITY) },
        }),
      ],
      // Embedded: the marketplace (simulator, signal pipeline) runs here. With Kafka: replicas of what the
      // event-ingestor publishes.
      controllers: [
        FeedMetricsController,
        OpsController,
        ...(config.KAFKA_BROKERS ? [] : [MarketplaceController]),
      ],
      providers: [
        { provide: FEED_API_CONFIG, useValue: config },
        eventBusProvider(config),
        config.KAFKA_BROKERS ? ReplicatedMarketplaceService : EmbeddedMarketplaceService,
        {
          provide: LIVE_MARKETPLACE,
          useExisting: config.KAFKA_BROKERS ? ReplicatedMarketplaceService : EmbeddedMarketplaceService,
        },
        FeedService,
        FeedResolver,
        OpsGuard,
        { provide: APP_FILTER, useClass: ClientErrorsFilter },
      ],
    };
  }
}
