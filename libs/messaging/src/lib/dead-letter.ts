import { deadLetterTopicOf } from '@crest/event-schemas';

import { type ConsumedMessage, type MessageHeaders, type OutgoingMessage } from './event-bus.port';

/** Header names on dead-lettered messages. The value is the original bytes, unchanged. */
export const DeadLetterHeader = {
  Reason: 'crest.dlq.reason',
  SourceTopic: 'crest.dlq.source-topic',
  SourcePartition: 'crest.dlq.source-partition',
  SourceOffset: 'crest.dlq.source-offset',
  FailedAt: 'crest.dlq.failed-at',
} as const;

const MAX_REASON_LENGTH = 2_000;

/**
 * The message that carries a failed one to `<topic>.dlq`: same key and value, its original headers, plus
 * where it came from and why it failed. `details` adds more headers (e.g. the decode error code).
 */
export function toDeadLetter(
  message: ConsumedMessage,
  reason: string,
  details: MessageHeaders = {},
  now: Date = new Date(),
): OutgoingMessage {
  const trimmed = reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH)}…` : reason;
  return {
    topic: deadLetterTopicOf(message.topic),
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      ...details,
      [DeadLetterHeader.Reason]: trimmed,
      [DeadLetterHeader.SourceTopic]: message.topic,
      [DeadLetterHeader.SourcePartition]: String(message.partition),
      [DeadLetterHeader.SourceOffset]: message.offset,
      [DeadLetterHeader.FailedAt]: now.toISOString(),
    },
  };
}
