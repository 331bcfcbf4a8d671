import { EventType, type LivestreamStatus, type MarketplaceEvent } from '@crest/event-schemas';

export interface AuctionState {
  auctionId: string;
  productId: string;
  currentBidMinor: number;
  currency: string;
  endsAt: string;
  bids: number;
}

export interface GiveawayState {
  giveawayId: string;
  prize: string;
  endsAt: string;
}

/** What a stream is right now, as the newest events say. */
export interface LivestreamState {
  livestreamId: string;
  sellerId: string | null;
  status: LivestreamStatus | null;
  title: string | null;
  categoryIds: string[];
  thumbnailUrl: string | null;
  scheduledStartAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  auction: AuctionState | null;
  giveaway: GiveawayState | null;
  /** Viewers who joined and have not left (joins minus leaves, never below zero). */
  currentViewers: number;
}

/**
 * Folds events into a stream's latest state. Each aspect (status, auction, giveaway) remembers the event
 * time of the event that last set it, and an older event never overwrites a newer one, whatever the
 * arrival order.
 */
export class LivestreamStateReducer {
  readonly state: LivestreamState;
  private statusAt = Number.NEGATIVE_INFINITY;
  private auctionAt = Number.NEGATIVE_INFINITY;
  private giveawayAt = Number.NEGATIVE_INFINITY;
  private joined = 0;
  private left = 0;

  constructor(livestreamId: string) {
    this.state = {
      livestreamId,
      sellerId: null,
      status: null,
      title: null,
      categoryIds: [],
      thumbnailUrl: null,
      scheduledStartAt: null,
      startedAt: null,
      endedAt: null,
      auction: null,
      giveaway: null,
      currentViewers: 0,
    };
  }

  apply(event: MarketplaceEvent, at: number): void {
    const s = this.state;
    if ('sellerId' in event && event.sellerId && !s.sellerId) s.sellerId = event.sellerId;
    switch (event.type) {
      case EventType.LivestreamStatusChanged: {
        if (event.payload.status === 'live' && !s.startedAt) s.startedAt = event.occurredAt;
        if (event.payload.status === 'ended' && !s.endedAt) s.endedAt = event.occurredAt;
        if (at < this.statusAt) return;
        this.statusAt = at;
        s.sellerId = event.sellerId;
        s.status = event.payload.status;
        s.title = event.payload.title;
        s.categoryIds = [...event.payload.categoryIds];
        s.thumbnailUrl = event.payload.thumbnailUrl ?? s.thumbnailUrl;
        s.scheduledStartAt = event.payload.scheduledStartAt ?? s.scheduledStartAt;
        return;
      }
      case EventType.AuctionStarted: {
        if (at < this.auctionAt) return;
        this.auctionAt = at;
        s.auction = {
          auctionId: event.payload.auctionId,
          productId: event.payload.productId,
          currentBidMinor: event.payload.startingBid.amountMinor,
          currency: event.payload.startingBid.currency,
          endsAt: event.payload.endsAt,
          bids: 0,
        };
        return;
      }
      case EventType.BidPlaced: {
        const auction = s.auction;
        if (!auction || auction.auctionId !== event.payload.auctionId) return;
        auction.bids++;
        auction.currentBidMinor = Math.max(auction.currentBidMinor, event.payload.amount.amountMinor);
        return;
      }
      case EventType.AuctionEnded: {
        if (at < this.auctionAt) return;
        this.auctionAt = at;
        if (s.auction?.auctionId === event.payload.auctionId || !s.auction) s.auction = null;
        return;
      }
      case EventType.GiveawayStarted: {
        if (at < this.giveawayAt) return;
        this.giveawayAt = at;
        s.giveaway = {
          giveawayId: event.payload.giveawayId,
          prize: event.payload.prize,
          endsAt: event.payload.endsAt,
        };
        return;
      }
      case EventType.GiveawayEnded: {
        if (at < this.giveawayAt) return;
        this.giveawayAt = at;
        if (s.giveaway?.giveawayId === event.payload.giveawayId || !s.giveaway) s.giveaway = null;
        return;
      }
      case EventType.ViewerJoined:
        this.joined++;
        s.currentViewers = Math.max(0, this.joined - this.left);
        return;
      case EventType.ViewerLeft:
        this.left++;
        s.currentViewers = Math.max(0, this.joined - this.left);
        return;
      default:
        return;
    }
  }
}
