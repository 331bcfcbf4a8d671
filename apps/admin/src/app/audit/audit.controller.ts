import {
  BadRequestException,
  Controller,
  Get,
  Inject,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';

import { AuditLog } from './audit-log';

/** The operator actions on record, newest first. Any signed-in role may read them. */
@ApiTags('audit')
@Controller('api/audit')
export class AuditController {
  constructor(@Inject(AuditLog) private readonly audit: AuditLog) {}

  @ApiOperation({ summary: 'Operator actions on record, newest first' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  @ApiQuery({ name: 'action', required: false, description: 'only this action, e.g. backend.kill-switch' })
  @Get()
  async list(@Query('limit') limit?: string, @Query('action') action?: string) {
    const count = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > 1_000)
      throw new BadRequestException('limit must be a whole number from 1 to 1000');
    if (action !== undefined && !/^[a-z][a-z0-9.-]{0,63}$/.test(action))
      throw new BadRequestException('action must be an action name such as backend.kill-switch');
    if (!this.audit.available)
      throw new ServiceUnavailableException('the audit log is not configured (set ADMIN_DATABASE_URL)');
    return { entries: await this.audit.list(count, action) };
  }
}
