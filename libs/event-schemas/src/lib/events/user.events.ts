import { Type } from 'class-transformer';
import { Equals, IsUUID, ValidateNested } from 'class-validator';

import { EmptyPayload, UserScopedEvent } from '../envelope';
import { EventType } from '../event-type.constants';
import { IsCategoryId } from '../validators';

export class UserFollowedSellerEvent extends UserScopedEvent {
  @Equals(EventType.UserFollowedSeller)
  type!: typeof EventType.UserFollowedSeller;

  @IsUUID()
  sellerId!: string;

  @ValidateNested()
  @Type(() => EmptyPayload)
  override payload!: EmptyPayload;
}

export class UserUnfollowedSellerEvent extends UserScopedEvent {
  @Equals(EventType.UserUnfollowedSeller)
  type!: typeof EventType.UserUnfollowedSeller;

  @IsUUID()
  sellerId!: string;

  @ValidateNested()
  @Type(() => EmptyPayload)
  override payload!: EmptyPayload;
}

/** The user asked not to see this seller: the feed leaves out the seller's streams until an unblock. */
export class UserBlockedSellerEvent extends UserScopedEvent {
  @Equals(EventType.UserBlockedSeller)
  type!: typeof EventType.UserBlockedSeller;

  @IsUUID()
  sellerId!: string;

  @ValidateNested()
  @Type(() => EmptyPayload)
  override payload!: EmptyPayload;
}

export class UserUnblockedSellerEvent extends UserScopedEvent {
  @Equals(EventType.UserUnblockedSeller)
  type!: typeof EventType.UserUnblockedSeller;

  @IsUUID()
  sellerId!: string;

  @ValidateNested()
  @Type(() => EmptyPayload)
  override payload!: EmptyPayload;
}

export class CategoryPayload {
  @IsCategoryId()
  categoryId!: string;
}

export class UserFollowedCategoryEvent extends UserScopedEvent {
  @Equals(EventType.UserFollowedCategory)
  type!: typeof EventType.UserFollowedCategory;

  @ValidateNested()
  @Type(() => CategoryPayload)
  override payload!: CategoryPayload;
}

export class UserUnfollowedCategoryEvent extends UserScopedEvent {
  @Equals(EventType.UserUnfollowedCategory)
  type!: typeof EventType.UserUnfollowedCategory;

  @ValidateNested()
  @Type(() => CategoryPayload)
  override payload!: CategoryPayload;
}
