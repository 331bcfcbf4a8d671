import {
  decodeEvent,
  type DecodeOptions,
  MARKETPLACE_TOPICS,
  type MarketplaceEvent,
} from '@crest/event-schemas';

import {
  type ConsumedMessage,
  type EventBus,
  type Subscription,
  type SubscriptionOptions,
} from './event-bus.port';

/** Header on dead-lettered events naming the decode error code (`not_json`, `validation_failed`, ...). */
export const DECODE_ERROR_CODE_HEADER = 'crest.decode-error-code';

export interface ConsumeEventsOptions extends Pick<
  SubscriptionOptions,
  'onPartitionsAssigned' | 'onPartitionsRevoked' | 'onRebuildError'
> {
  groupId: string;
  /** Default: every marketplace topic. */
  topics?: readonly string[];
  fromBeginning?: boolean;
  maxBatchSize?: number;
  decode?: Omit<DecodeOptions, 'now'>;
  /**
   * Called with each partition's decoded events, in partition order. Unless it takes over acknowledgement
   * (`deferAck`), the batch is acknowledged when it resolves; when it throws, the bus retries and finally
   * dead-letters (see EventBus).
   */
  onEvents(events: MarketplaceEvent[], messages: ConsumedMessage[], ack: () => void): Promise<void> | void;
  /**
   * The handler acknowledges the decoded messages itself by calling `ack` (e.g. once its outputs are
   * durable), possibly after it returned. Dead-lettered messages are acknowledged by the DLQ write.
   */
  deferAck?: boolean;
  /** Called for each message that did not decode, after it reached the dead-letter topic. */
  onDeadLettered?: (message: ConsumedMessage, code: string) => void;
}

/**
 * Subscribes to marketplace topics and hands over validated events. Every message that does not decode
 * goes to `<topic>.dlq` with the decode error as the reason and its code in a header; nothing is dropped.
 */
export function consumeMarketplaceEvents(
  bus: EventBus,
  options: ConsumeEventsOptions,
): Promise<Subscription> {
  return bus.subscribe({
    groupId: options.groupId,
    topics: [...(options.topics ?? MARKETPLACE_TOPICS)],
    fromBeginning: options.fromBeginning,
    maxBatchSize: options.maxBatchSize,
    onPartitionsAssigned: options.onPartitionsAssigned,
    onPartitionsRevoked: options.onPartitionsRevoked,
    onRebuildError: options.onRebuildError,
    eachBatch: async (batch, context) => {
      const events: MarketplaceEvent[] = [];
      const decoded: ConsumedMessage[] = [];
      const now = Date.now();
      for (const message of batch.messages) {
        const result = decodeEvent(message.value, { ...options.decode, now });
        if (result.ok) {
          events.push(result.event);
          decoded.push(message);
        } else {
          await context.deadLetter(message, `${result.error.code}: ${result.error.message}`, {
            [DECODE_ERROR_CODE_HEADER]: result.error.code,
          });
          options.onDeadLettered?.(message, result.error.code);
        }
      }
      const ack = () => decoded.forEach((message) => context.ack(message));
      if (events.length > 0) await options.onEvents(events, decoded, ack);
      if (!options.deferAck || events.length === 0) ack();
    },
  });
}
