import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'Relay page info' })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Opaque, signed: pass as `after` for the next page' })
  endCursor!: string | null;
}

@ObjectType()
export class Auction {
  @Field(() => Int, { description: 'Current bid in minor units (cents)' })
  currentBidMinor!: number;

  @Field()
  currency!: string;

  @Field()
  endsAt!: string;

  @Field(() => Int)
  bids!: number;
}

@ObjectType()
export class Giveaway {
  @Field()
  prize!: string;

  @Field()
  endsAt!: string;
}

@ObjectType({ description: 'A live stream as a card in a carousel' })
export class LivestreamCard {
  @Field(() => ID)
  id!: string;

  @Field()
  title!: string;

  @Field(() => ID, { nullable: true })
  sellerId!: string | null;

  @Field(() => String, { nullable: true })
  thumbnailUrl!: string | null;

  @Field(() => [String])
  categories!: string[];

  @Field(() => Int)
  viewers!: number;

  @Field()
  status!: string;

  @Field(() => Auction, { nullable: true, description: 'The running auction, if any' })
  auction!: Auction | null;

  @Field(() => Giveaway, { nullable: true })
  giveaway!: Giveaway | null;

  @Field({ description: 'Why this stream is shown' })
  reason!: string;

  @Field({ description: 'Opaque, signed; send it back with clicks' })
  trackingToken!: string;

  @Field(() => Float, { description: 'Ranking score (for debugging)' })
  score!: number;
}

@ObjectType()
export class LivestreamCardEdge {
  @Field()
  cursor!: string;

  @Field(() => LivestreamCard)
  node!: LivestreamCard;
}

@ObjectType()
export class LivestreamCardConnection {
  @Field(() => [LivestreamCardEdge])
  edges!: LivestreamCardEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'Which backends produced a carousel' })
export class CarouselServedBy {
  @Field(() => String, {
    nullable: true,
    description: 'Retrieval backend that answered (memory, elasticsearch…)',
  })
  retrieval!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'primary, hedge, or why it fell back (fallback-error, fallback-timeout, fallback-circuit-open)',
  })
  retrievalReason!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The ranker (in-process, grpc), or retrieval-order when ranking failed and the feed fell back',
  })
  ranking!: string | null;
}

@ObjectType({ description: 'A carousel (section) of the home feed' })
export class Carousel {
  @Field(() => ID)
  id!: string;

  @Field()
  title!: string;

  @Field({ description: 'row, grid or hero' })
  layout!: string;

  @Field(() => CarouselServedBy)
  servedBy!: CarouselServedBy;

  // A carousel's first page holds up to the configured page size (typically 10) of cards.
  @Field(() => LivestreamCardConnection, { complexity: ({ childComplexity }) => 10 * childComplexity })
  items!: LivestreamCardConnection;
}

@ObjectType()
export class CarouselEdge {
  @Field()
  cursor!: string;

  @Field(() => Carousel)
  node!: Carousel;
}

@ObjectType()
export class CarouselConnection {
  @Field(() => [CarouselEdge])
  edges!: CarouselEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
