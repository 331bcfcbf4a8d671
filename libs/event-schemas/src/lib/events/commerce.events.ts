import { Type } from 'class-transformer';
import { Equals, IsInt, IsUUID, Max, Min, ValidateNested } from 'class-validator';

import { UserLivestreamEvent } from '../envelope';
import { EventType } from '../event-type.constants';
import { MAX_QUANTITY } from '../limits.constants';
import { Money } from '../validators';

export class BidPlacedPayload {
  @IsUUID()
  auctionId!: string;

  @IsUUID()
  productId!: string;

  @ValidateNested()
  @Type(() => Money)
  amount!: Money;
}

export class BidPlacedEvent extends UserLivestreamEvent {
  @Equals(EventType.BidPlaced)
  type!: typeof EventType.BidPlaced;

  @ValidateNested()
  @Type(() => BidPlacedPayload)
  override payload!: BidPlacedPayload;
}

export class ProductPurchasedPayload {
  @IsUUID()
  orderId!: string;

  @IsUUID()
  productId!: string;

  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity!: number;

  /** What the buyer paid for the whole line (unit price times quantity), the basis of GMV. */
  @ValidateNested()
  @Type(() => Money)
  total!: Money;
}

export class ProductPurchasedEvent extends UserLivestreamEvent {
  @Equals(EventType.ProductPurchased)
  type!: typeof EventType.ProductPurchased;

  @ValidateNested()
  @Type(() => ProductPurchasedPayload)
  override payload!: ProductPurchasedPayload;
}
