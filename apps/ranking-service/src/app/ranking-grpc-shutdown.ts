import { type Server } from '@grpc/grpc-js';
import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { type HealthImplementation } from 'grpc-health-check';

/**
 * Shuts the Rank server down gracefully. When the app starts closing (a signal or `app.close()`), gRPC
 * health turns NOT_SERVING so balancers stop sending calls, and the server stops taking new ones while the
 * calls in flight finish (Nest's `gracefulShutdown`, grpc-js `tryShutdown`). A call still unfinished after
 * the grace period (a caller that never sends the rest of its request) is cut off, so it cannot hold the
 * process up.
 */
@Injectable()
export class RankingGrpcShutdown implements BeforeApplicationShutdown {
  private attached?: { server: Server; health: HealthImplementation; services: string[]; graceMs: number };

  attach(server: Server, health: HealthImplementation, services: string[], graceMs: number): void {
    this.attached = { server, health, services, graceMs };
  }

  beforeApplicationShutdown(): void {
    if (!this.attached) return;
    const { server, health, services, graceMs } = this.attached;
    for (const service of services) health.setStatus(service, 'NOT_SERVING');
    // Unref'd: once the graceful shutdown finishes first, nothing waits on this timer.
    setTimeout(() => server.forceShutdown(), graceMs).unref();
  }
}
