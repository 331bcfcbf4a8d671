import { MARKETPLACE_TOPICS } from '@crest/event-schemas';
import { type EventBus } from '@crest/messaging';
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';

import { type AdminConfig } from '../admin.config';
import { ADMIN_CONFIG, ADMIN_EVENT_BUS, DEAD_LETTER_INDEX } from '../admin.tokens';
import { type DeadLetterIndex } from '../dead-letters/dead-letter-index';
import { MetricsHistory } from '../telemetry/metrics-history';
import { pipelineView } from './pipeline-view';

const LAG_TIMEOUT_MS = 3_000;

/** The ingest pipeline: events/s by type, freshness over time, the ingest group's lag, dead letters. */
@ApiTags('pipeline')
@Controller('api/pipeline')
export class PipelineController {
  constructor(
    @Inject(ADMIN_CONFIG) private readonly config: AdminConfig,
    @Inject(MetricsHistory) private readonly history: MetricsHistory,
    @Inject(ADMIN_EVENT_BUS) private readonly bus: EventBus | null,
    @Inject(DEAD_LETTER_INDEX) private readonly deadLetters: DeadLetterIndex | null,
  ) {}

  @ApiOperation({
    summary:
      'Events/s by type and freshness p50/p99 (last minute, and per scrape over the last hour) from the ' +
      "event-ingestor's /metrics; consumer lag per partition from Kafka; dead letters per topic",
  })
  @Get()
  async view() {
    const ingestor = this.history.status().find((target) => target.job === 'event-ingestor')!;
    const scrapes = this.history.scrapesOf('event-ingestor')[0]?.scrapes ?? [];
    return {
      ...pipelineView(ingestor, scrapes, await this.lag()),
      deadLetters: this.deadLetters?.counts() ?? null,
    };
  }

  private async lag() {
    const groupId = this.config.INGEST_GROUP_ID;
    if (!this.bus)
      return {
        groupId,
        partitions: [],
        total: null,
        error: 'consumer lag is read from Kafka: set KAFKA_BROKERS',
      };
    try {
      const partitions = await Promise.race([
        this.bus.consumerLag(groupId, MARKETPLACE_TOPICS),
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`Kafka did not answer within ${LAG_TIMEOUT_MS} ms`)),
            LAG_TIMEOUT_MS,
          ).unref(),
        ),
      ]);
      partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      return { groupId, partitions, total: partitions.reduce((sum, p) => sum + p.lag, 0), error: null };
    } catch (error) {
      return { groupId, partitions: [], total: null, error: (error as Error).message };
    }
  }
}
