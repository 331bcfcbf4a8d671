import { Type } from 'class-transformer';
import { Equals, IsIn, IsString, IsUUID, MaxLength, MinLength, ValidateNested } from 'class-validator';

import { EmptyPayload, UserLivestreamEvent } from '../envelope';
import { EventType, ReactionKind } from '../event-type.constants';
import { MAX_CHAT_LENGTH } from '../limits.constants';

export class ViewerJoinedEvent extends UserLivestreamEvent {
  @Equals(EventType.ViewerJoined)
  type!: typeof EventType.ViewerJoined;

  @ValidateNested()
  @Type(() => EmptyPayload)
  override payload!: EmptyPayload;
}

export class ViewerLeftEvent extends UserLivestreamEvent {
  @Equals(EventType.ViewerLeft)
  type!: typeof EventType.ViewerLeft;

  @ValidateNested()
  @Type(() => EmptyPayload)
  override payload!: EmptyPayload;
}

export class ChatSentPayload {
  @IsUUID()
  messageId!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(MAX_CHAT_LENGTH)
  text!: string;
}

export class ChatSentEvent extends UserLivestreamEvent {
  @Equals(EventType.ChatSent)
  type!: typeof EventType.ChatSent;

  @ValidateNested()
  @Type(() => ChatSentPayload)
  override payload!: ChatSentPayload;
}

export class ReactionSentPayload {
  @IsIn(Object.values(ReactionKind))
  kind!: ReactionKind;
}

export class ReactionSentEvent extends UserLivestreamEvent {
  @Equals(EventType.ReactionSent)
  type!: typeof EventType.ReactionSent;

  @ValidateNested()
  @Type(() => ReactionSentPayload)
  override payload!: ReactionSentPayload;
}

export class GiveawayEnteredPayload {
  @IsUUID()
  giveawayId!: string;
}

export class GiveawayEnteredEvent extends UserLivestreamEvent {
  @Equals(EventType.GiveawayEntered)
  type!: typeof EventType.GiveawayEntered;

  @ValidateNested()
  @Type(() => GiveawayEnteredPayload)
  override payload!: GiveawayEnteredPayload;
}
