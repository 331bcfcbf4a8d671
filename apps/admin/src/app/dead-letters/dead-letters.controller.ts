import { type EventBus } from '@crest/messaging';
import {
  BadGatewayException,
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';

import { ADMIN_EVENT_BUS, DEAD_LETTER_INDEX } from '../admin.tokens';
import { AuditLog } from '../audit/audit-log';
import { type AuthenticatedRequest, OperatorOnly } from '../auth/admin-auth.guard';
import { type DeadLetter, type DeadLetterIndex, type DeadLetterQuery } from './dead-letter-index';

/** Header on a replayed message: the dead letter it replays. */
export const REPLAY_OF_HEADER = 'crest.replay.of';
const MAX_REPLAY = 10_000;
const PREVIEW_CHARS = 160;

class ReplayFilter {
  @ApiPropertyOptional({ description: 'source topic, e.g. marketplace.engagement.v1' })
  topic?: string;
  @ApiPropertyOptional({ description: 'decode error code, or `processing`' })
  code?: string;
  @ApiPropertyOptional({ description: 'substring of the reason' })
  reason?: string;
}

class ReplayBody {
  @ApiPropertyOptional({
    type: [String],
    description: 'dead letter ids (`<dlq topic>:<partition>:<offset>`)',
  })
  ids?: string[];
  @ApiPropertyOptional({ type: ReplayFilter, description: 'or every kept dead letter matching this filter' })
  all?: ReplayFilter;
  @ApiProperty({ description: 'why (the fix that makes a replay succeed), for the audit log' })
  reason!: string;
}

/**
 * Browse the dead letters of the marketplace topics and replay them into their source topic after a fix.
 * A replay is keyed by the dead letter's id and done once ever (see AuditLog.once); the ingestor also drops
 * an event id it already applied, so a replay never double-counts.
 */
@ApiTags('dead-letters')
@Controller('api/dead-letters')
export class DeadLettersController {
  constructor(
    @Inject(DEAD_LETTER_INDEX) private readonly index: DeadLetterIndex | null,
    @Inject(ADMIN_EVENT_BUS) private readonly bus: EventBus | null,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  @ApiOperation({ summary: 'Dead letters, newest first, with counts per topic and error code' })
  @ApiQuery({ name: 'topic', required: false, description: 'source topic' })
  @ApiQuery({ name: 'code', required: false })
  @ApiQuery({ name: 'reason', required: false, description: 'substring of the reason' })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 100' })
  @Get()
  async list(
    @Query('topic') topic?: string,
    @Query('code') code?: string,
    @Query('reason') reason?: string,
    @Query('limit') limit?: string,
  ) {
    const index = this.requireIndex();
    const count = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > 500)
      throw new BadRequestException('limit must be a whole number from 1 to 500');
    const query = this.query(topic, code, reason, count);
    const letters = index.list(query);
    const replays = await this.replaysOf(letters);
    return {
      counts: index.counts(),
      letters: letters.map((letter) => ({
        ...summary(letter),
        preview: letter.value.toString('utf8', 0, PREVIEW_CHARS * 4).slice(0, PREVIEW_CHARS),
        replayed: replays.get(letter.id) ?? null,
      })),
    };
  }

  @ApiOperation({ summary: 'One dead letter with its payload and headers' })
  @Get(':id')
  async one(@Param('id') id: string) {
    const letter = this.requireIndex().get(id);
    if (!letter)
      throw new NotFoundException(`no dead letter ${id} is held (it may be older than the kept ones)`);
    const replays = await this.replaysOf([letter]);
    return { ...summary(letter), payload: payloadOf(letter.value), replayed: replays.get(letter.id) ?? null };
  }

  @ApiOperation({
    summary: 'Replay dead letters into their source topic: each at most once ever, audited',
  })
  @ApiBody({ type: ReplayBody })
  @OperatorOnly()
  @Post('replay')
  @HttpCode(200)
  async replay(@Body() body: unknown, @Req() request: AuthenticatedRequest) {
    const index = this.requireIndex();
    const { ids, all, reason } = (body ?? {}) as { ids?: unknown; all?: unknown; reason?: unknown };
    if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 500)
      throw new BadRequestException('reason must say why (the fix), in 1 to 500 characters');
    let letters: DeadLetter[];
    if (ids !== undefined) {
      if (all !== undefined) throw new BadRequestException('send ids or all, not both');
      if (
        !Array.isArray(ids) ||
        ids.length === 0 ||
        ids.length > MAX_REPLAY ||
        !ids.every((i) => typeof i === 'string')
      )
        throw new BadRequestException(`ids must be 1 to ${MAX_REPLAY} dead letter ids`);
      const missing = ids.filter((id) => !index.get(id));
      if (missing.length > 0)
        throw new NotFoundException(`no dead letter held for: ${missing.slice(0, 10).join(', ')}`);
      letters = ids.map((id) => index.get(id)!);
    } else if (all !== undefined && typeof all === 'object' && all !== null) {
      const filter = all as { topic?: unknown; code?: unknown; reason?: unknown };
      for (const [name, value] of Object.entries(filter))
        if (value !== undefined && typeof value !== 'string')
          throw new BadRequestException(`all.${name} must be a string`);
      letters = index.list(
        this.query(filter.topic as string, filter.code as string, filter.reason as string, MAX_REPLAY),
      );
    } else throw new BadRequestException('send ids (dead letter ids) or all (a filter, {} for every one)');
    if (!this.bus) throw new ServiceUnavailableException('replays need KAFKA_BROKERS');
    if (!this.audit.available)
      throw new ServiceUnavailableException('the audit log is not configured (set ADMIN_DATABASE_URL)');

    const principal = request.principal!;
    const bus = this.bus;
    const results: Array<{
      id: string;
      outcome: 'replayed' | 'already-replayed' | 'failed';
      detail: unknown;
    }> = [];
    // One at a time, oldest first: a source topic's replays keep their original order per key.
    for (const letter of [...letters].reverse()) {
      try {
        const outcome = await this.audit.once(
          principal,
          `dead-letter.replay:${letter.id}`,
          {
            action: 'dead-letter.replay',
            target: letter.id,
            detail: { sourceTopic: letter.sourceTopic, code: letter.code, reason },
          },
          () =>
            bus.publish([
              {
                topic: letter.sourceTopic,
                key: letter.key,
                value: letter.value,
                headers: { ...letter.headers, [REPLAY_OF_HEADER]: letter.id },
              },
            ]),
        );
        results.push(
          outcome.replayed
            ? {
                id: letter.id,
                outcome: 'replayed',
                detail: { auditId: outcome.auditId, ...outcome.result[0] },
              }
            : { id: letter.id, outcome: 'already-replayed', detail: outcome.previous },
        );
      } catch (error) {
        results.push({ id: letter.id, outcome: 'failed', detail: (error as Error).message });
      }
    }
    const failed = results.filter((r) => r.outcome === 'failed');
    if (failed.length > 0 && failed.length === results.length)
      throw new BadGatewayException(`no dead letter could be replayed: ${String(failed[0]!.detail)}`);
    return {
      replayed: results.filter((r) => r.outcome === 'replayed').length,
      alreadyReplayed: results.filter((r) => r.outcome === 'already-replayed').length,
      failed: failed.length,
      results,
    };
  }

  private requireIndex(): DeadLetterIndex {
    if (!this.index)
      throw new ServiceUnavailableException('dead letters are read from Kafka: set KAFKA_BROKERS');
    return this.index;
  }

  private query(
    topic: string | undefined,
    code: string | undefined,
    reason: string | undefined,
    limit: number,
  ) {
    const index = this.requireIndex();
    if (topic !== undefined && topic !== '' && !index.sourceTopics.includes(topic))
      throw new BadRequestException(`topic must be one of ${index.sourceTopics.join(', ')}`);
    if (reason !== undefined && reason.length > 200)
      throw new BadRequestException('reason: at most 200 characters');
    const query: DeadLetterQuery = { limit };
    if (topic) query.sourceTopic = topic;
    if (code) query.code = code;
    if (reason) query.reasonContains = reason;
    return query;
  }

  private async replaysOf(letters: readonly DeadLetter[]) {
    const claims = this.audit.available
      ? await this.audit.claims(letters.map((l) => `dead-letter.replay:${l.id}`))
      : new Map();
    return new Map(
      letters.map((l) => [l.id, claims.get(`dead-letter.replay:${l.id}`)] as const).filter(([, c]) => c),
    );
  }
}

function summary(letter: DeadLetter) {
  const { value, ...rest } = letter;
  return { ...rest, bytes: value.length };
}

/** The payload as text when it is UTF-8 (with JSON pretty-printed), else base64. */
function payloadOf(value: Buffer): { encoding: 'json' | 'utf8' | 'base64'; text: string } {
  const text = value.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(value)) return { encoding: 'base64', text: value.toString('base64') };
  try {
    return { encoding: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
  } catch {
    return { encoding: 'utf8', text };
  }
}
