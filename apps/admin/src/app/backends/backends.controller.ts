import {
  BACKEND_SWITCH_STATES,
  BACKEND_SWITCHES_TOPIC,
  type BackendSwitch,
  type BackendSwitchState,
} from '@crest/event-schemas';
import { RETRIEVAL_BACKENDS, type RetrievalBackendName } from '@crest/experiments';
import { type EventBus } from '@crest/messaging';
import {
  BadGatewayException,
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';

import { ADMIN_EVENT_BUS } from '../admin.tokens';
import { AuditLog } from '../audit/audit-log';
import { type AuthenticatedRequest, OperatorOnly } from '../auth/admin-auth.guard';
import { MetricsHistory } from '../telemetry/metrics-history';
import { backendsView } from './backends-view';

class SwitchBody {
  @ApiProperty({ enum: BACKEND_SWITCH_STATES })
  state!: BackendSwitchState;

  @ApiProperty({ description: 'why, for the audit log (1-500 characters)' })
  reason!: string;
}

/**
 * The retrieval backends as every feed-api sees them (from their /metrics), and their kill switch, for every
 * feed-api instance at once (through Kafka).
 */
@ApiTags('backends')
@Controller('api/backends')
export class BackendsController {
  constructor(
    @Inject(ADMIN_EVENT_BUS) private readonly bus: EventBus | null,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(MetricsHistory) private readonly history: MetricsHistory,
  ) {}

  @ApiOperation({
    summary:
      'Per backend over the last minute: calls/s, latency p50/p99, error rate, fallbacks; circuit state per ' +
      'feed-api instance; the last kill switch flips',
  })
  @Get()
  async view() {
    const instances = this.history.status().filter((target) => target.job === 'feed-api');
    const view = backendsView(instances, this.history.scrapesOf('feed-api'));
    const switches = this.audit.available
      ? await this.audit.list(20, 'backend.kill-switch').catch(() => [])
      : [];
    return { ...view, switches };
  }

  @ApiOperation({
    summary: 'Force a retrieval backend off (its carousels use their fallback) or back on, on every feed-api',
  })
  @ApiBody({ type: SwitchBody })
  @OperatorOnly()
  @Post(':backend/switch')
  @HttpCode(200)
  async switch(
    @Param('backend') backend: string,
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
  ) {
    if (!RETRIEVAL_BACKENDS.includes(backend as RetrievalBackendName))
      throw new BadRequestException(`backend must be one of ${RETRIEVAL_BACKENDS.join(', ')}`);
    const { state, reason } = (body ?? {}) as { state?: unknown; reason?: unknown };
    if (!BACKEND_SWITCH_STATES.includes(state as BackendSwitchState))
      throw new BadRequestException(`state must be one of ${BACKEND_SWITCH_STATES.join(', ')}`);
    if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 500)
      throw new BadRequestException('reason must say why, in 1 to 500 characters');
    if (!this.bus)
      throw new ServiceUnavailableException(
        'the kill switch needs KAFKA_BROKERS: every feed-api instance reads the switches from Kafka',
      );
    if (!this.audit.available)
      throw new ServiceUnavailableException('the audit log is not configured (set ADMIN_DATABASE_URL)');
    const principal = request.principal!;
    const auditId = await this.audit.record(principal, 'backend.kill-switch', backend, { state, reason });
    const change: BackendSwitch = {
      backend,
      state: state as BackendSwitchState,
      actor: principal.actor,
      reason,
      at: new Date().toISOString(),
      auditId,
    };
    try {
      await this.bus.publish([
        { topic: BACKEND_SWITCHES_TOPIC, key: backend, value: JSON.stringify(change) },
      ]);
    } catch (error) {
      await this.audit.record(principal, 'backend.kill-switch.failed', backend, {
        auditId,
        error: (error as Error).message,
      });
      throw new BadGatewayException(`the switch could not be published: ${(error as Error).message}`);
    }
    return { switch: change };
  }
}
