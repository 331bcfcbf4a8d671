import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';

import { type AdminConfig } from '../admin.config';
import { ADMIN_CONFIG } from '../admin.tokens';
import { FeedApiClient } from '../feed-api-client';

/** What feed-api serves with: GrowthBook features and experiments in force, and one user's feed explained. */
@ApiTags('experiments')
@Controller('api')
export class ExperimentsController {
  constructor(
    @Inject(ADMIN_CONFIG) private readonly config: AdminConfig,
    @Inject(FeedApiClient) private readonly feedApi: FeedApiClient,
  ) {}

  @ApiOperation({
    summary:
      'The GrowthBook features and experiments feed-api has in force, home-feed-config validation, GrowthBook links',
  })
  @Get('experiments')
  async experiments() {
    const snapshot = await this.feedApi.get<{ features?: Array<{ key: string }> }>('/internal/experiments');
    const app = this.config.ADMIN_GROWTHBOOK_APP_URL.replace(/\/$/, '');
    return {
      feedApi: this.feedApi.baseUrl,
      ...snapshot,
      links: {
        growthbook: app,
        experiments: `${app}/experiments`,
        features: Object.fromEntries(
          (snapshot.features ?? []).map((f) => [f.key, `${app}/features/${encodeURIComponent(f.key)}`]),
        ),
      },
    };
  }

  @ApiOperation({
    summary:
      "One user's home feed explained: every carousel's candidates, the backend that served it, features, " +
      'per-feature score contributions, filters and timings (no exposure is logged)',
  })
  @ApiQuery({ name: 'userId', required: true })
  @ApiQuery({
    name: 'force',
    required: false,
    description: '`<experiment key>:<variation index>`, repeatable: the variation to explain the feed in',
  })
  // feed-api checks both (an unknown experiment or variation too); its 400 passes through as it is.
  @Get('explain')
  explain(@Query('userId') userId?: string | string[], @Query('force') force?: string | string[]) {
    return this.feedApi.get('/internal/explain', { userId, force });
  }
}
