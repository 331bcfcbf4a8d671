import { Controller, Get, Header, HttpCode, ServiceUnavailableException } from '@nestjs/common';

import { IngestorService } from './ingestor.service';

@Controller()
export class IngestorController {
  constructor(private readonly ingestor: IngestorService) {}

  /** Prometheus exposition format. */
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.ingestor.metrics.registry.metrics();
  }

  /** 200 once topics, index and the consumer group are set up; 503 before and while shutting down. */
  @Get('ready')
  @HttpCode(200)
  readiness(): { ready: true; streams: number } {
    if (!this.ingestor.isReady) throw new ServiceUnavailableException('ingest is not running');
    return { ready: true, streams: this.ingestor.pipeline.streamCount };
  }
}
