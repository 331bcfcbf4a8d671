import { BaseAppConfig, loadConfig } from '@crest/platform';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

export class AdminConfig extends BaseAppConfig {
  @Type(() => Number)
  @IsInt({ message: 'PORT must be an integer' })
  @Min(1)
  @Max(65_535)
  override PORT = 3003;
}

export function loadAdminConfig(env: Record<string, string | undefined>): AdminConfig {
  return loadConfig(AdminConfig, env, 'admin');
}
