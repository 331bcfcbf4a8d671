import { type Server } from '@grpc/grpc-js';
import { type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { type HealthImplementation } from 'grpc-health-check';

export interface RankingGrpcShutdownOptions {
  /** How long health says NOT_SERVING before the server stops taking calls, for balancers to notice. */
  drainMs: number;
  /** How long calls in flight may then take before they are cut off. */
  graceMs: number;
}

/**
 * Shuts the Rank server down gracefully. When the app starts closing (a signal or `app.close()`), gRPC
 * health turns NOT_SERVING and, after the drain period, the server stops taking new calls while the calls
 * in flight finish (Nest's `gracefulShutdown`, grpc-js `tryShutdown`). A call still unfinished after the
 * grace period (a caller that never sends the rest of its request, a health Watch stream) is cut off, so it
 * cannot hold the process up.
 */
export class RankingGrpcShutdown implements BeforeApplicationShutdown, OnApplicationShutdown {
  private attached?: { server: Server; health: HealthImplementation; services: string[] };
  private cutOff?: NodeJS.Timeout;

  constructor(private readonly options: RankingGrpcShutdownOptions) {}

  attach(server: Server, health: HealthImplementation, services: string[]): void {
    this.attached = { server, health, services };
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.attached) return;
    const { server, health, services } = this.attached;
    for (const service of services) health.setStatus(service, 'NOT_SERVING');
    if (this.options.drainMs > 0) await new Promise((resolve) => setTimeout(resolve, this.options.drainMs));
    this.cutOff = setTimeout(() => server.forceShutdown(), this.options.graceMs);
  }

  onApplicationShutdown(): void {
    clearTimeout(this.cutOff);
  }
}
