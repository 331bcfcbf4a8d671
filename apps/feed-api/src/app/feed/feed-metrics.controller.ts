import { Controller, Get, Header } from '@nestjs/common';

import { FeedService } from './feed.service';

/** Prometheus metrics of the feed: retrieval per backend (latency, errors, circuit state) and per carousel. */
@Controller()
export class FeedMetricsController {
  constructor(private readonly feed: FeedService) {}

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return this.feed.metrics.registry.metrics();
  }
}
