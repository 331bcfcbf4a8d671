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

/** Where an event was read from. */
export interface EventOrigin {
  topic: string;
  partition: number;
  offset: string;
}

export interface AuctionTally {
  bids: number;
  highestMinor: number;
}

/** Auctions whose bids a stream remembers; older ones are long over. */
const REMEMBERED_AUCTIONS = 8;

/** Bookkeeping that lets a reducer resume from a written doc (see LivestreamStateReducer.fromSnapshot). */
export interface StateCheckpoint {
  /** Offset of the newest event applied, per marketplace topic. */
  offsets: Record<string, number>;
  /** Bid count and highest bid of the stream's most recent auctions. */
  auctionBids: Record<string, AuctionTally>;
  /** Event times that last set status, auction and giveaway (null: never set). */
  statusAt: number | null;
  auctionAt: number | null;
  giveawayAt: number | null;
  viewersJoined: number;
  viewersLeft: number;
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
  /** Offset of the newest event applied, per topic (a stream's events sit in one partition per topic). */
  private readonly offsets: Record<string, number> = {};
  /**
   * Bids per recent auction, whether or not its `auction.started` arrived yet: bids and auctions travel on
   * different topics, so a bid may be read before the auction it belongs to.
   */
  private readonly auctionBids = new Map<string, AuctionTally>();

  /**
   * A reducer that continues from a doc written earlier: its state, plus the checkpoint saying which
   * events are already in it (per topic, every offset up to the recorded one; partitions are read in
   * order). Replayed or redelivered events at or before those offsets are skipped, so nothing counts twice,
   * and an event the doc had not seen yet applies whatever its event time.
   */
  static fromSnapshot(state: LivestreamState, checkpoint: StateCheckpoint): LivestreamStateReducer {
    const reducer = new LivestreamStateReducer(state.livestreamId);
    const restored: LivestreamState = {
      livestreamId: state.livestreamId,
      sellerId: state.sellerId,
      status: state.status,
      title: state.title,
      categoryIds: [...state.categoryIds],
      thumbnailUrl: state.thumbnailUrl,
      scheduledStartAt: state.scheduledStartAt,
      startedAt: state.startedAt,
      endedAt: state.endedAt,
      auction: state.auction && { ...state.auction },
      giveaway: state.giveaway && { ...state.giveaway },
      currentViewers: state.currentViewers,
    };
    Object.assign(reducer.state, restored);
    Object.assign(reducer.offsets, checkpoint.offsets);
    for (const [auctionId, tally] of Object.entries(checkpoint.auctionBids ?? {}))
      reducer.auctionBids.set(auctionId, { ...tally });
    reducer.statusAt = checkpoint.statusAt ?? Number.NEGATIVE_INFINITY;
    reducer.auctionAt = checkpoint.auctionAt ?? Number.NEGATIVE_INFINITY;
    reducer.giveawayAt = checkpoint.giveawayAt ?? Number.NEGATIVE_INFINITY;
    reducer.joined = checkpoint.viewersJoined;
    reducer.left = checkpoint.viewersLeft;
    return reducer;
  }

  /** What `fromSnapshot` needs besides the state to continue exactly. */
  checkpoint(): StateCheckpoint {
    const time = (at: number) => (Number.isFinite(at) ? at : null);
    return {
      offsets: { ...this.offsets },
      auctionBids: Object.fromEntries([...this.auctionBids].map(([id, tally]) => [id, { ...tally }])),
      statusAt: time(this.statusAt),
      auctionAt: time(this.auctionAt),
      giveawayAt: time(this.giveawayAt),
      viewersJoined: this.joined,
      viewersLeft: this.left,
    };
  }

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

  /**
   * Folds one event in. With its origin (topic and offset), an event at or before the newest offset already
   * applied from that topic is skipped (a replay or redelivery) and `false` returned.
   */
  apply(event: MarketplaceEvent, at: number, origin?: EventOrigin): boolean {
    if (origin) {
      const offset = Number(origin.offset);
      if (offset <= (this.offsets[origin.topic] ?? -1)) return false;
      this.offsets[origin.topic] = offset;
    }
    this.fold(event, at);
    return true;
  }

  private fold(event: MarketplaceEvent, at: number): void {
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
        const tally = this.tallyOf(event.payload.auctionId);
        s.auction = {
          auctionId: event.payload.auctionId,
          productId: event.payload.productId,
          currentBidMinor: Math.max(event.payload.startingBid.amountMinor, tally.highestMinor),
          currency: event.payload.startingBid.currency,
          endsAt: event.payload.endsAt,
          bids: tally.bids,
        };
        return;
      }
      case EventType.BidPlaced: {
        const tally = this.tallyOf(event.payload.auctionId);
        tally.bids++;
        tally.highestMinor = Math.max(tally.highestMinor, event.payload.amount.amountMinor);
        const auction = s.auction;
        if (!auction || auction.auctionId !== event.payload.auctionId) return;
        auction.bids = tally.bids;
        auction.currentBidMinor = Math.max(auction.currentBidMinor, tally.highestMinor);
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

  private tallyOf(auctionId: string): AuctionTally {
    let tally = this.auctionBids.get(auctionId);
    if (!tally) {
      tally = { bids: 0, highestMinor: 0 };
      this.auctionBids.set(auctionId, tally);
      if (this.auctionBids.size > REMEMBERED_AUCTIONS) {
        this.auctionBids.delete(this.auctionBids.keys().next().value!);
      }
    }
    return tally;
  }
}
