import { Type } from 'class-transformer';
import {
  Equals,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

import { SellerLivestreamEvent } from '../envelope';
import { AuctionOutcome, EventType, LivestreamStatus } from '../event-type.constants';
import { MAX_QUANTITY, MAX_TITLE_LENGTH, MAX_URL_LENGTH } from '../limits.constants';
import { IsCategoryId, IsCategoryIdList, IsEventTime, Money, URL_RULE } from '../validators';

export class LivestreamStatusChangedPayload {
  @IsIn(Object.values(LivestreamStatus))
  status!: LivestreamStatus;

  @IsString()
  @MinLength(1)
  @MaxLength(MAX_TITLE_LENGTH)
  title!: string;

  @IsCategoryIdList()
  categoryIds!: string[];

  @IsOptional()
  @IsEventTime()
  scheduledStartAt?: string;

  @IsOptional()
  @IsUrl(URL_RULE)
  @MaxLength(MAX_URL_LENGTH)
  thumbnailUrl?: string;
}

/** A stream was scheduled, went live or ended; also carries the title and categories at that moment. */
export class LivestreamStatusChangedEvent extends SellerLivestreamEvent {
  @Equals(EventType.LivestreamStatusChanged)
  type!: typeof EventType.LivestreamStatusChanged;

  @ValidateNested()
  @Type(() => LivestreamStatusChangedPayload)
  override payload!: LivestreamStatusChangedPayload;
}

export class ProductListedPayload {
  @IsUUID()
  productId!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(MAX_TITLE_LENGTH)
  title!: string;

  @IsCategoryId()
  categoryId!: string;

  @ValidateNested()
  @Type(() => Money)
  price!: Money;

  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity!: number;
}

export class ProductListedEvent extends SellerLivestreamEvent {
  @Equals(EventType.ProductListed)
  type!: typeof EventType.ProductListed;

  @ValidateNested()
  @Type(() => ProductListedPayload)
  override payload!: ProductListedPayload;
}

export class AuctionStartedPayload {
  @IsUUID()
  auctionId!: string;

  @IsUUID()
  productId!: string;

  @ValidateNested()
  @Type(() => Money)
  startingBid!: Money;

  @IsEventTime()
  endsAt!: string;
}

export class AuctionStartedEvent extends SellerLivestreamEvent {
  @Equals(EventType.AuctionStarted)
  type!: typeof EventType.AuctionStarted;

  @ValidateNested()
  @Type(() => AuctionStartedPayload)
  override payload!: AuctionStartedPayload;
}

export class AuctionEndedPayload {
  @IsUUID()
  auctionId!: string;

  @IsUUID()
  productId!: string;

  @IsIn(Object.values(AuctionOutcome))
  outcome!: AuctionOutcome;

  @IsOptional()
  @ValidateNested()
  @Type(() => Money)
  winningBid?: Money;

  @IsOptional()
  @IsUUID()
  winnerUserId?: string;
}

export class AuctionEndedEvent extends SellerLivestreamEvent {
  @Equals(EventType.AuctionEnded)
  type!: typeof EventType.AuctionEnded;

  @ValidateNested()
  @Type(() => AuctionEndedPayload)
  override payload!: AuctionEndedPayload;
}

export class GiveawayStartedPayload {
  @IsUUID()
  giveawayId!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(MAX_TITLE_LENGTH)
  prize!: string;

  @IsEventTime()
  endsAt!: string;
}

/** Not in the first list of the design; added so "giveaway active" is state, not a guess from entries. */
export class GiveawayStartedEvent extends SellerLivestreamEvent {
  @Equals(EventType.GiveawayStarted)
  type!: typeof EventType.GiveawayStarted;

  @ValidateNested()
  @Type(() => GiveawayStartedPayload)
  override payload!: GiveawayStartedPayload;
}

export class GiveawayEndedPayload {
  @IsUUID()
  giveawayId!: string;

  @IsOptional()
  @IsUUID()
  winnerUserId?: string;
}

export class GiveawayEndedEvent extends SellerLivestreamEvent {
  @Equals(EventType.GiveawayEnded)
  type!: typeof EventType.GiveawayEnded;

  @ValidateNested()
  @Type(() => GiveawayEndedPayload)
  override payload!: GiveawayEndedPayload;
}
