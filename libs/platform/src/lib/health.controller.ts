import { Controller, Get, Inject } from '@nestjs/common';

export const APP_IDENTITY = Symbol('APP_IDENTITY');

export interface AppIdentity {
  name: string;
  /** What the app is running on: "embedded" (in-process parts) or the real backends it was given. */
  mode: string;
}

/** Liveness for process managers and load balancers: 200 with what is running and for how long. */
@Controller('health')
export class HealthController {
  private readonly startedAt = Date.now();

  constructor(@Inject(APP_IDENTITY) private readonly identity: AppIdentity) {}

  @Get()
  health(): { status: 'ok'; service: string; mode: string; uptimeSeconds: number } {
    return {
      status: 'ok',
      service: this.identity.name,
      mode: this.identity.mode,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
    };
  }
}
