import { decodeEvent, type MarketplaceEvent } from '@crest/event-schemas';
import { publishEvents } from '@crest/messaging';
import { type LivestreamDoc } from '@crest/signals';
import { BadRequestException, Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';

import { EmbeddedMarketplaceService } from './embedded-marketplace.service';
import { type ActivitySnapshot } from './marketplace-activity';

@Controller()
export class MarketplaceController {
  constructor(private readonly marketplace: EmbeddedMarketplaceService) {}

  /** Where things are: the feed over GraphQL, and the live marketplace it ranks. */
  @Get()
  index(): { service: string; homeFeed: string; activity: ActivitySnapshot } {
    return {
      service: 'feed-api',
      homeFeed:
        'POST /graphql { homeFeed(first: 5) { ... } } (GraphiQL at /graphiql; header x-crest-user-id views the ' +
        'feed as a user); /livestreams lists live docs by hotness, /marketplace/activity the live traffic',
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

  /**
   * Embedded mode only: publishes marketplace events (one or an array of up to 1,000) into the in-process
   * bus, as a producer would into Kafka, to try the feed with a scripted scenario (follow a seller, start or
   * end a stream). All or nothing: any invalid event is a 400 naming each problem, and none is published.
   */
  @Post('marketplace/events')
  @HttpCode(202)
  async publish(@Body() body: unknown): Promise<{ published: number }> {
    const items = Array.isArray(body) ? body : [body];
    if (items.length === 0 || items.length > 1_000)
      throw new BadRequestException(`send 1 to 1000 events (got ${items.length})`);
    const events: MarketplaceEvent[] = [];
    const problems: string[] = [];
    items.forEach((item, i) => {
      const decoded = decodeEvent(JSON.stringify(item ?? null));
      if (decoded.ok) events.push(decoded.event);
      else problems.push(`[${i}] ${decoded.error.message}`);
    });
    if (problems.length > 0)
      throw new BadRequestException({ message: 'invalid events; none published', problems });
    await publishEvents(this.marketplace.bus, events);
    return { published: events.length };
  }

  @Get('marketplace/activity')
  activity(): ActivitySnapshot {
    return this.marketplace.activity.snapshot(20);
  }
}
