import { BadRequestException, Controller, Get, Inject, Query } from '@nestjs/common';
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
  @Get('explain')
  async explain(@Query('userId') userId?: string, @Query('force') force?: string | string[]) {
    if (typeof userId !== 'string' || userId.trim() === '' || userId.length > 128)
      throw new BadRequestException('userId is required (1 to 128 characters)');
    const forced = [force ?? []]
      .flat()
      .flatMap((f) => f.split(','))
      .map((f) => f.trim())
      .filter(Boolean);
    for (const item of forced)
      if (!/^[^:\s]+:\d{1,3}$/.test(item))
        throw new BadRequestException(`force must be <experiment key>:<variation index> (got "${item}")`);
    return this.feedApi.get('/internal/explain', { userId, force: forced });
  }
}
