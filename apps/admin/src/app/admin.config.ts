import { BaseAppConfig, IsPort, loadConfig } from '@crest/platform';

export class AdminConfig extends BaseAppConfig {
  @IsPort()
  override PORT = 3003;
}

export function loadAdminConfig(env: Record<string, string | undefined>): AdminConfig {
  return loadConfig(AdminConfig, env, 'admin');
}
