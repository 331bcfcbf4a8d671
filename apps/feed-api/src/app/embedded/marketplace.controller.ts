import { type LivestreamDoc } from '@crest/signals';
import { BadRequestException, Controller, Get, Query } from '@nestjs/common';

import { EmbeddedMarketplaceService } from './embedded-marketplace.service';
import { type ActivitySnapshot } from './marketplace-activity';

@Controller()
export class MarketplaceController {
  constructor(private readonly marketplace: EmbeddedMarketplaceService) {}

  /** What this build serves: the home feed lands with issue 7; until then, the live marketplace it will rank. */
  @Get()
  index(): { service: string; homeFeed: string; activity: ActivitySnapshot } {
    return {
      service: 'feed-api',
      homeFeed:
        'not yet available: GraphQL homeFeed arrives with the feed issue; see /livestreams (live docs by hotness) ' +
        'and /marketplace/activity',
      activity: this.marketplace.activity.snapshot(5),
    };
  }

  /**
   * Live streams by hotness, straight from the in-process replica of livestream docs: the candidates the
   * home feed will retrieve and rank. `limit` 1-100, default 20.
   */
  @Get('livestreams')
  livestreams(@Query('limit') limit?: string): { count: number; items: LivestreamDoc[] } {
    const size = limit === undefined ? 20 : Number(limit);
    if (!Number.isInteger(size) || size < 1 || size > 100) {
      throw new BadRequestException(`limit must be an integer from 1 to 100, got "${limit}"`);
    }
    const live = this.marketplace.docs.all().filter((doc) => doc.status === 'live');
    live.sort((a, b) => b.hotness - a.hotness || a.livestreamId.localeCompare(b.livestreamId));
    return { count: live.length, items: live.slice(0, size) };
  }

  @Get('marketplace/activity')
  activity(): ActivitySnapshot {
    return this.marketplace.activity.snapshot(20);
  }
}
