import { Equals, IsDefined, IsOptional, IsUUID } from 'class-validator';

import { type EventType } from './event-type.constants';
import { IsEventTime } from './validators';

/**
 * Fields every event carries. `eventId` is the idempotency key: consumers count an id once, however often
 * it is delivered. `occurredAt` is event time (when it happened at the producer), which decides windows.
 */
export abstract class EventEnvelope {
  @IsUUID()
  eventId!: string;

  abstract type: EventType;

  /** Schema version of this type. Version 1 is the only one so far; decodeEvent rejects others by name. */
  @Equals(1)
  version!: 1;

  @IsEventTime()
  occurredAt!: string;

  /** Narrowed by each event class to its payload class, validated as a nested object. */
  @IsDefined()
  payload!: object;
}

/** An event about one live stream; the stream id is its partition key. */
export abstract class LivestreamScopedEvent extends EventEnvelope {
  @IsUUID()
  livestreamId!: string;

  @IsOptional()
  @IsUUID()
  sellerId?: string;
}

/** An event a seller caused on their stream. */
export abstract class SellerLivestreamEvent extends EventEnvelope {
  @IsUUID()
  livestreamId!: string;

  @IsUUID()
  sellerId!: string;
}

/** An event a user caused on a stream. */
export abstract class UserLivestreamEvent extends LivestreamScopedEvent {
  @IsUUID()
  userId!: string;
}

/** An event about a user's own preferences; the user id is its partition key. */
export abstract class UserScopedEvent extends EventEnvelope {
  @IsUUID()
  userId!: string;
}

/** Payload of events that carry nothing beyond the envelope; any field in it is rejected. */
export class EmptyPayload {}
