import { randomUUID } from 'node:crypto';

import {
  BACKEND_SWITCHES_TOPIC,
  type BackendSwitch,
  BackendSwitchError,
  parseBackendSwitch,
} from '@crest/event-schemas';
import { type RetrievalBackends } from '@crest/feed';
import { type EventBus, type Subscription } from '@crest/messaging';

export interface SwitchLogger {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Holds this instance's retrieval backends in the state operators last switched them to (admin's kill
 * switch): reads the compacted switches topic from its start under a group of its own, so every instance
 * sees every switch and a restarted one picks up those still in force. A malformed switch is dead-lettered
 * with the reason; a switch for a backend this instance lacks is logged and skipped.
 */
export class BackendSwitchListener {
  private subscription: Subscription | null = null;
  /** The last switch applied per backend, for /health-style reporting. */
  readonly applied = new Map<string, BackendSwitch>();

  constructor(
    private readonly bus: EventBus,
    private readonly backends: RetrievalBackends,
    private readonly logger: SwitchLogger,
  ) {}

  async start(): Promise<void> {
    await this.bus.ensureTopics([{ name: BACKEND_SWITCHES_TOPIC, partitions: 1, compacted: true }]);
    this.subscription = await this.bus.subscribe({
      groupId: `feed-api-backend-switches-${randomUUID()}`,
      topics: [BACKEND_SWITCHES_TOPIC],
      fromBeginning: true,
      eachMessage: async (message, context) => {
        if (message.tombstone) return context.ack();
        let change: BackendSwitch;
        try {
          change = parseBackendSwitch(message.value);
        } catch (error) {
          if (error instanceof BackendSwitchError) return context.deadLetter(error.message);
          throw error;
        }
        this.apply(change);
        context.ack();
      },
    });
  }

  apply(change: BackendSwitch): void {
    const backend = this.backends[change.backend as keyof RetrievalBackends];
    if (!backend) {
      this.logger.warn(`backend switch for ${change.backend} skipped: this instance has no such backend`);
      return;
    }
    if (change.state === 'off') backend.isolate();
    else backend.release();
    this.applied.set(change.backend, change);
    this.logger.log(
      `backend ${change.backend} switched ${change.state} by ${change.actor} (audit #${change.auditId}): ${change.reason}`,
    );
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
  }
}
