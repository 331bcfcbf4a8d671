import { type ComposedCarousel, type FeedItem } from '@crest/feed';
import { Args, Context, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';

import { Carousel, CarouselConnection, LivestreamCard, LivestreamCardConnection } from './feed.models';
import { type FeedPage, FeedService, type FeedTargeting, UnknownCarouselError } from './feed.service';
import { type FeedCursorState, InvalidCursorError } from './feed-cursor';
import { parseTargeting } from './feed-targeting';

export const MAX_CAROUSELS_PER_PAGE = 10;
export const MAX_ITEMS_PER_PAGE = 50;
/** The viewer: production takes it from authentication; here a header names the user to view the feed as. */
export const USER_HEADER = 'x-crest-user-id';
/**
 * What experiments target a request by, beside the user (GrowthBook attributes), sent by the app as headers.
 * The session scopes exposures: each experiment is logged once per user and session (default: the user).
 */
export const TARGETING_HEADERS = {
  sessionId: 'x-crest-session-id',
  country: 'x-crest-country',
  platform: 'x-crest-platform',
  appVersion: 'x-crest-app-version',
} as const;

interface GraphQLContext {
  req?: { headers: Record<string, string | string[] | undefined> };
}

@Resolver()
export class FeedResolver {
  constructor(private readonly feed: FeedService) {}

  @Query(() => CarouselConnection, {
    description: 'The personalised home feed: carousels of live streams',
    complexity: ({ args, childComplexity }) => 10 + Number(args.first ?? 5) * childComplexity,
  })
  async homeFeed(
    @Context() context: GraphQLContext,
    @Args('first', { type: () => Int, defaultValue: 5 }) first: number,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<CarouselConnection> {
    checkFirst('first', first, MAX_CAROUSELS_PER_PAGE);
    const user = viewer(context);
    const page = await this.feed.homeFeed(
      user,
      first,
      this.decode(after, 'home', user),
      targetingOf(context),
    );
    return this.connection(page, user, (carousel) => this.toCarousel(carousel, user));
  }

  @Query(() => LivestreamCardConnection, {
    description: 'Scroll one carousel further',
    complexity: ({ args, childComplexity }) => 10 + Number(args.first ?? 10) * childComplexity,
  })
  async carousel(
    @Context() context: GraphQLContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('first', { type: () => Int, defaultValue: 10 }) first: number,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<LivestreamCardConnection> {
    checkFirst('first', first, MAX_ITEMS_PER_PAGE);
    const user = viewer(context);
    const page = await this.feed
      .carousel(user, id, first, this.decode(after, id, user), targetingOf(context))
      .catch((error: unknown) => {
        if (error instanceof UnknownCarouselError)
          throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', argument: 'id' } });
        throw error;
      });
    return this.connection(page, user, toCard);
  }

  private toCarousel(carousel: ComposedCarousel, user: string): Carousel {
    const page = this.feed.itemsPage(carousel.id, carousel.items, carousel.more.length > 0, []);
    return {
      id: carousel.id,
      title: carousel.title,
      layout: carousel.layout,
      servedBy: carousel.servedBy,
      items: this.connection(page, user, toCard),
    };
  }

  private decode(cursor: string | null | undefined, scope: string, user: string): FeedCursorState | null {
    if (cursor === null || cursor === undefined) return null;
    try {
      return this.feed.cursors.decode(cursor, scope, user);
    } catch (error) {
      if (error instanceof InvalidCursorError)
        throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', argument: 'after' } });
      throw error;
    }
  }

  /**
   * A Relay connection whose cursors are signed only when the query selects them (getters): signing one
   * per edge, each listing everything served before it, was a large share of a homeFeed request.
   */
  private connection<T, N>(page: FeedPage<T>, user: string, toNode: (value: T) => N) {
    const cursors = this.feed.cursors;
    const last = page.nodes.length - 1;
    return {
      edges: page.nodes.map((value, i) => ({
        get cursor() {
          return cursors.encode(page.stateAt(i), user);
        },
        node: toNode(value),
      })),
      pageInfo: {
        hasNextPage: page.hasNextPage,
        get endCursor() {
          return last >= 0 ? cursors.encode(page.stateAt(last), user) : null;
        },
      },
    };
  }
}

function viewer(context: GraphQLContext): string {
  const id = headerOf(context, USER_HEADER);
  return id && id.length <= 128 ? id : 'anonymous';
}

/** A request header's first value; an empty one counts as not sent, as an empty env value does. */
function headerOf(context: GraphQLContext, name: string): string | undefined {
  const value = context.req?.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

/** The targeting headers, each checked: a bad one is refused by name rather than silently untargeted. */
function targetingOf(context: GraphQLContext): FeedTargeting {
  const fields = Object.keys(TARGETING_HEADERS) as (keyof typeof TARGETING_HEADERS)[];
  const { targeting, problems } = parseTargeting(
    Object.fromEntries(fields.map((field) => [field, headerOf(context, TARGETING_HEADERS[field])])),
    (field) => TARGETING_HEADERS[field],
  );
  if (problems.length > 0)
    throw new GraphQLError(`invalid targeting headers: ${problems.join('; ')}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  return targeting;
}

function checkFirst(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new GraphQLError(`${name} must be an integer in [1, ${max}] (got ${value})`, {
      extensions: { code: 'BAD_USER_INPUT', argument: name },
    });
}

function toCard(item: FeedItem): LivestreamCard {
  const doc = item.doc;
  return {
    id: item.livestreamId,
    title: doc.title ?? '',
    sellerId: doc.sellerId ?? null,
    thumbnailUrl: doc.thumbnailUrl ?? null,
    categories: [...doc.categoryIds],
    viewers: doc.currentViewers,
    status: doc.status ?? 'unknown',
    auction: doc.auction
      ? {
          currentBidMinor: doc.auction.currentBidMinor ?? 0,
          currency: doc.auction.currency ?? 'USD',
          endsAt: doc.auction.endsAt,
          bids: doc.auction.bids ?? 0,
        }
      : null,
    giveaway: doc.giveaway ? { prize: doc.giveaway.prize ?? '', endsAt: doc.giveaway.endsAt } : null,
    reason: item.reason,
    trackingToken: item.trackingToken,
    score: item.score,
  };
}
