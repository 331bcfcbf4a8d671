import {
  AuctionOutcome,
  CATEGORY_ID_PATTERN,
  EventType,
  LivestreamStatus,
  type MarketplaceEvent,
  partitionKeyOf,
  ReactionKind,
  topicOf,
} from '@crest/event-schemas';

import { CORRUPTIBLE_EVENT_TYPES, type CorruptibleEventType, MALFORMED_DEFECTS } from './malformed-defects';
import { CHAT_LINES, productTitle, SIMULATED_CATEGORIES, streamTitle } from './marketplace-catalog';
import { SeededRandom } from './seeded-random';
import { type SimulatedItem } from './simulated-item';

export interface MarketplaceSimulatorOptions {
  /** Same seed and options give a byte-identical stream. Default 42. */
  seed?: number;
  /** Default 500. */
  sellers?: number;
  /** Default 20,000. */
  users?: number;
  /** Category slugs. Default `SIMULATED_CATEGORIES` (24 live-shopping verticals). */
  categories?: readonly string[];
  /**
   * Streams kept live at once (new ones are scheduled as others end). Default 200. An upper bound: at
   * trickle rates fewer streams run, so that their lifecycle events fit in the rate (see README).
   */
  targetLiveStreams?: number;
  /** Items per second of virtual time, from 1 to 50,000. Default 1,000. */
  eventsPerSecond?: number;
  /** Share of items that are malformed, 0 to 1. Default 0. */
  malformedRate?: number;
  /** Share of users with no history: they follow nothing at the start but still watch and engage. Default 0.05. */
  newUserShare?: number;
  /** Virtual clock start, epoch ms. Default 2026-01-01T00:00:00Z; pass `Date.now()` to run in real time. */
  startTime?: number;
}

/** One seller's batch features (see `sellerFeatures`). */
export interface SimulatedSellerFeatures {
  sellerId: string;
  score: number;
  embedding: number[];
  updatedAt: string;
}

interface Seller {
  id: string;
  /** 0.15..1: scales the popularity of the seller's streams. */
  quality: number;
  categories: string[];
  followers: number[];
}

interface User {
  id: string;
  followedSellers: Set<number>;
  followedCategories: Set<string>;
}

interface Product {
  id: string;
  price: number;
  stock: number;
}

interface Auction {
  id: string;
  productId: string;
  endsAt: number;
  startingBid: number;
  currentBid: number;
  increment: number;
  leader?: number;
  bids: number;
}

interface Stream {
  id: string;
  seller: number;
  title: string;
  categories: string[];
  status: LivestreamStatus;
  goLiveAt: number;
  endAt: number;
  popularity: number;
  /** Users watching now; `viewerIndex` maps a user to their slot for O(1) leave. */
  viewers: number[];
  viewerIndex: Map<number, number>;
  /** Buy-it-now listings with stock left. */
  products: Product[];
  auction?: Auction;
  giveaway?: { id: string; endsAt: number; entrants: Set<number> };
  nextAuctionAt: number;
  nextGiveawayAt: number;
  chatStormUntil: number;
}

/** Virtual time advances in steps of this size; state changes (go live, auction ends) happen on step starts. */
const STEP_MS = 100;
const MINUTE = 60_000;
const CURRENCY = 'USD';
/**
 * Lifecycle events (scheduled, live, ended, auction listing/start/end, giveaway start/end) per live stream
 * per second of the model below, measured over an hour at 2,000 events/s: about one every 40 s.
 */
const LIFECYCLE_EVENTS_PER_STREAM_SECOND = 0.024;
/** Lifecycle events take at most this share of the rate; at lower rates fewer streams are live. */
const MAX_LIFECYCLE_SHARE = 0.25;
/** Budget debt (lifecycle bursts beyond the rate) is forgotten past this many seconds' worth. */
const MAX_DEBT_SECONDS = 60;
const REACTIONS = Object.values(ReactionKind);

const DEFAULTS = {
  seed: 42,
  sellers: 500,
  users: 20_000,
  targetLiveStreams: 200,
  eventsPerSecond: 1_000,
  malformedRate: 0,
  newUserShare: 0.05,
  startTime: Date.parse('2026-01-01T00:00:00.000Z'),
};

type ResolvedOptions = Required<Omit<MarketplaceSimulatorOptions, 'categories'>> & { categories: string[] };

/**
 * A seeded, deterministic live-shopping marketplace. Sellers schedule streams that go live, run auction
 * waves (a listing, then a flurry of rising bids, then sold or unsold), giveaways (a storm of entries) and
 * chat storms between lulls, and end. Users follow and unfollow sellers and categories, join and leave
 * streams, chat, react, bid, enter giveaways and buy; a share of them are new and follow nothing.
 * Popularity is skewed: a few streams draw most viewers.
 *
 * Time is virtual. `advance(ms)` returns the items whose event time falls in `[now(), now() + ms)`, in
 * `occurredAt` order, at `eventsPerSecond` on average. The stream depends only on the seed and options, not
 * on how `advance` calls split the time: nothing reads the wall clock, `Math.random` or `crypto`.
 *
 * Valid events are consistent: stream events only while the stream is live, bids rising within an auction,
 * a user leaves only a stream they joined, products listed before they are auctioned or bought. Malformed
 * items take the place of engagement events and never change the marketplace's state.
 */
export class MarketplaceSimulator {
  private readonly options: ResolvedOptions;
  /** Drives the marketplace. */
  private readonly random: SeededRandom;
  /** Drives malformed injection (which slots, which defects, their bytes), apart from the marketplace. */
  private readonly faults: SeededRandom;
  private readonly liveTarget: number;
  private readonly sellers: Seller[] = [];
  private readonly users: User[] = [];
  private streams: Stream[] = [];
  /** Everything before this has been returned. */
  private clock: number;
  /** Everything before this has been generated (a step boundary). */
  private generatedUntil: number;
  private pending: SimulatedItem[] = [];
  private pendingTimes: number[] = [];
  private budget = 0;
  private owedMalformed = 0;
  private weights = new Float64Array(64);
  private liveStreams: Stream[] = [];
  private productCounter = 0;
  private iso = '';
  private isoAt = Number.NaN;

  constructor(options: MarketplaceSimulatorOptions = {}) {
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    this.options = { ...DEFAULTS, ...given, categories: [...(options.categories ?? SIMULATED_CATEGORIES)] };
    validateOptions(this.options);
    this.random = new SeededRandom(this.options.seed);
    this.faults = new SeededRandom(this.options.seed ^ 0x5bd1e995);
    this.liveTarget = Math.max(
      1,
      Math.min(
        this.options.targetLiveStreams,
        Math.floor((this.options.eventsPerSecond * MAX_LIFECYCLE_SHARE) / LIFECYCLE_EVENTS_PER_STREAM_SECOND),
      ),
    );
    this.clock = this.options.startTime;
    this.generatedUntil = this.options.startTime;
    this.populate();
  }

  /** The virtual clock, epoch ms: everything before it has been returned by `advance`. */
  now(): number {
    return this.clock;
  }

  /** Streams live now (at the last generated step). */
  liveStreamCount(): number {
    return this.streams.filter((s) => s.status === LivestreamStatus.Live).length;
  }

  /** How many streams the simulator keeps live: `targetLiveStreams`, or fewer at trickle rates. */
  effectiveLiveStreamTarget(): number {
    return this.liveTarget;
  }

  /**
   * Batch features of every seller, as the seller-features import takes them: `score` is the seller's
   * quality, `embedding` (unit length) sums a seeded direction per category the seller sells in, plus noise,
   * so sellers of the same categories sit close together. Deterministic for a seed; does not change the
   * simulated stream.
   */
  sellerFeatures(dims = 16): SimulatedSellerFeatures[] {
    const random = new SeededRandom(this.options.seed ^ 0x27d4eb2f);
    const gaussianish = () => random.float() + random.float() + random.float() - 1.5;
    const directions = new Map(
      this.options.categories.map((category) => [category, Array.from({ length: dims }, gaussianish)]),
    );
    const updatedAt = new Date(this.options.startTime - MINUTE).toISOString();
    return this.sellers.map((seller) => {
      const vector = Array.from({ length: dims }, () => 0.3 * gaussianish());
      for (const category of seller.categories)
        directions.get(category)!.forEach((x, i) => (vector[i] = vector[i]! + x));
      const norm = Math.hypot(...vector) || 1;
      return {
        sellerId: seller.id,
        score: Math.round(seller.quality * 1000) / 1000,
        embedding: vector.map((x) => Math.round((x / norm) * 1e6) / 1e6),
        updatedAt,
      };
    });
  }

  /**
   * The follow graph as follow events one minute before `startTime` (call it before `advance` for the
   * initial graph), to seed user signals. Does not change the simulated stream.
   */
  initialFollowEvents(): MarketplaceEvent[] {
    const ids = new SeededRandom(this.options.seed ^ 0x1b873593);
    const at = new Date(this.options.startTime - MINUTE).toISOString();
    const events: MarketplaceEvent[] = [];
    for (const user of this.users) {
      for (const seller of user.followedSellers) {
        events.push({
          eventId: ids.uuid(),
          type: EventType.UserFollowedSeller,
          version: 1,
          occurredAt: at,
          userId: user.id,
          sellerId: this.sellers[seller]!.id,
          payload: {},
        } as MarketplaceEvent);
      }
      for (const categoryId of user.followedCategories) {
        events.push({
          eventId: ids.uuid(),
          type: EventType.UserFollowedCategory,
          version: 1,
          occurredAt: at,
          userId: user.id,
          payload: { categoryId },
        } as MarketplaceEvent);
      }
    }
    return events;
  }

  /**
   * Moves the virtual clock `ms` forward and returns the items whose event time falls in the interval,
   * ordered by event time. Throws a RangeError for a negative or non-finite `ms`.
   */
  advance(ms: number): SimulatedItem[] {
    if (!(ms >= 0 && Number.isFinite(ms))) {
      throw new RangeError(`advance needs a finite, non-negative duration in ms, got ${ms}`);
    }
    const end = this.clock + ms;
    while (this.generatedUntil < end) {
      this.step(this.generatedUntil);
      this.generatedUntil += STEP_MS;
    }
    this.clock = end;
    return this.takePendingBefore(end);
  }

  /**
   * Ends every live stream now (its running auction and giveaway first), as a marketplace closing would:
   * what a producer publishes before it stops, so that consumers do not keep its streams live for ever.
   * Meant as the last call: what was generated past `now()` is dropped, so nothing follows an `ended`.
   */
  endLiveStreams(): SimulatedItem[] {
    const at = this.clock;
    const out: MarketplaceEvent[] = [];
    for (const stream of this.streams) {
      if (stream.status !== LivestreamStatus.Live) continue;
      if (stream.auction) out.push(this.endAuction(stream, at, true));
      if (stream.giveaway) out.push(this.endGiveaway(stream, at));
      stream.status = LivestreamStatus.Ended;
      out.push(this.statusEvent(stream, at));
    }
    this.streams = this.streams.filter((s) => s.status !== LivestreamStatus.Ended);
    this.pending = [];
    this.pendingTimes = [];
    return out.map((event) => ({ kind: 'event', event }));
  }

  private takePendingBefore(end: number): SimulatedItem[] {
    const times = this.pendingTimes;
    let n = 0;
    while (n < times.length && times[n]! < end) n++;
    if (n === times.length) {
      const all = this.pending;
      this.pending = [];
      this.pendingTimes = [];
      return all;
    }
    times.splice(0, n);
    return this.pending.splice(0, n);
  }

  // ---- one step of virtual time ----

  private step(start: number): void {
    const lifecycle: MarketplaceEvent[] = [];
    this.runLifecycle(start, lifecycle);
    for (const event of lifecycle) this.emit(start, { kind: 'event', event });
    const rate = this.options.eventsPerSecond;
    const malformedRate = this.options.malformedRate;
    // Lifecycle events keep the marketplace coherent, so they are never malformed; the malformed items
    // they would have drawn are owed to the next engagement slots.
    if (malformedRate > 0) {
      for (let i = 0; i < lifecycle.length; i++) if (this.faults.chance(malformedRate)) this.owedMalformed++;
    }
    this.budget += (rate * STEP_MS) / 1000 - lifecycle.length;
    const count = Math.max(0, Math.floor(this.budget));
    this.budget = Math.max(this.budget - count, -rate * MAX_DEBT_SECONDS);
    this.collectLiveStreams(start);
    for (let i = 0; i < count; i++) {
      const at = start + Math.floor(((i + 0.5) * STEP_MS) / count);
      this.emit(
        at,
        this.isMalformedSlot() ? this.malformed(at) : { kind: 'event', event: this.engagement(at) },
      );
    }
  }

  private emit(at: number, item: SimulatedItem): void {
    this.pending.push(item);
    this.pendingTimes.push(at);
  }

  private isMalformedSlot(): boolean {
    const rate = this.options.malformedRate;
    if (rate === 0) return false;
    if (this.faults.chance(rate)) return true;
    if (this.owedMalformed === 0) return false;
    this.owedMalformed--;
    return true;
  }

  private runLifecycle(now: number, out: MarketplaceEvent[]): void {
    let scheduledOrLive = 0;
    let ended = 0;
    for (const stream of this.streams) {
      if (stream.status === LivestreamStatus.Scheduled && now >= stream.goLiveAt) {
        stream.status = LivestreamStatus.Live;
        out.push(this.statusEvent(stream, now));
      } else if (stream.status === LivestreamStatus.Live) {
        if (stream.auction && now >= stream.auction.endsAt) out.push(this.endAuction(stream, now, false));
        if (stream.giveaway && now >= stream.giveaway.endsAt) out.push(this.endGiveaway(stream, now));
        if (now >= stream.endAt) {
          if (stream.auction) out.push(this.endAuction(stream, now, true));
          if (stream.giveaway) out.push(this.endGiveaway(stream, now));
          // Viewers drop with the stream; consumers reset the count on `ended`, no viewer.left is sent.
          stream.status = LivestreamStatus.Ended;
          out.push(this.statusEvent(stream, now));
          ended++;
          continue;
        }
        if (!stream.auction && now >= stream.nextAuctionAt) this.startAuction(stream, now, out);
        if (!stream.giveaway && now >= stream.nextGiveawayAt) out.push(this.startGiveaway(stream, now));
        if (now >= stream.chatStormUntil + 2 * MINUTE && this.random.chance(0.0005)) {
          stream.chatStormUntil = now + STEP_MS * this.random.int(150, 450);
        }
      }
      scheduledOrLive++;
    }
    // Ended streams are dropped at once: nothing refers to them again, so memory stays bounded.
    if (ended > 0) this.streams = this.streams.filter((s) => s.status !== LivestreamStatus.Ended);
    // On the first step most streams go live within a second, so the marketplace is busy from the start.
    const warmingUp = now === this.options.startTime;
    for (let i = scheduledOrLive; i < this.liveTarget; i++) {
      out.push(this.scheduleStream(now, warmingUp && this.random.chance(0.8)));
    }
  }

  /** Picks a live stream (weighted by popularity and current waves) and what happens on it next. */
  private engagement(at: number): MarketplaceEvent {
    if (this.liveStreams.length === 0 || this.random.chance(0.02)) return this.followChange(at);
    const stream = this.pickLiveStream(this.random);
    const viewers = stream.viewers.length;
    const hasViewers = viewers > 0;
    const targetViewers = Math.ceil(stream.popularity * 400);
    const storm = at < stream.chatStormUntil;

    // Weights of what happens next on this stream; waves multiply their kind.
    const wJoin = viewers < targetViewers ? 14 : 3;
    const wLeave = hasViewers ? (viewers > targetViewers ? 12 : 4) : 0;
    const wChat = hasViewers ? (storm ? 60 : 14) : 0;
    const wReact = hasViewers ? (storm ? 40 : 14) : 0;
    const wBid = hasViewers && stream.auction ? 45 : 0;
    const wEntry = hasViewers && stream.giveaway ? 40 : 0;
    const wBuy = hasViewers && stream.products.length > 0 ? 2.5 : 0;
    const wList = 0.6;
    let roll = this.random.float() * (wJoin + wLeave + wChat + wReact + wBid + wEntry + wBuy + wList);
    if ((roll -= wJoin) < 0) return this.join(stream, at);
    if ((roll -= wLeave) < 0) return this.leave(stream, at);
    if ((roll -= wChat) < 0) return this.chat(stream, at);
    if ((roll -= wReact) < 0) return this.react(stream, at);
    if ((roll -= wBid) < 0) return this.bid(stream, at);
    if ((roll -= wEntry) < 0) return this.enterGiveaway(stream, at);
    if ((roll -= wBuy) < 0) return this.purchase(stream, at);
    return this.listProduct(stream, at, this.random.int(1, 20));
  }

  // ---- stream lifecycle ----

  private scheduleStream(now: number, soon: boolean): MarketplaceEvent {
    const sellerIndex = this.random.skewedIndex(this.sellers.length, 0.6);
    const seller = this.sellers[sellerIndex]!;
    const primary = this.random.pick(seller.categories);
    const categories = [...new Set([primary, this.random.pick(seller.categories)])];
    // Times are whole steps, so a stream goes live exactly at its scheduledStartAt.
    const goLiveAt = now + STEP_MS * (soon ? this.random.int(1, 10) : this.random.int(50, 600));
    const minutes = soon ? this.random.int(2, 40) : this.random.int(8, 40);
    const stream: Stream = {
      id: this.random.uuid(),
      seller: sellerIndex,
      title: streamTitle(primary, this.random.int(0, 99), this.random.int(0, 99)),
      categories,
      status: LivestreamStatus.Scheduled,
      goLiveAt,
      endAt: goLiveAt + minutes * MINUTE + STEP_MS * this.random.int(0, 599),
      popularity: seller.quality * (0.2 + this.random.float()) * (this.random.chance(0.05) ? 6 : 1),
      viewers: [],
      viewerIndex: new Map(),
      products: [],
      nextAuctionAt: goLiveAt + STEP_MS * this.random.int(100, 900),
      nextGiveawayAt: goLiveAt + STEP_MS * this.random.int(600, 3_600),
      chatStormUntil: 0,
    };
    this.streams.push(stream);
    return this.statusEvent(stream, now);
  }

  private statusEvent(stream: Stream, at: number): MarketplaceEvent {
    return this.sellerEvent(EventType.LivestreamStatusChanged, stream, at, {
      status: stream.status,
      title: stream.title,
      categoryIds: stream.categories,
      scheduledStartAt: new Date(stream.goLiveAt).toISOString(),
      thumbnailUrl: `https://img.crest.dev/streams/${stream.id}.jpg`,
    });
  }

  /** Lists a product on the stream; buy-it-now listings (stock > 0 left for buyers) join `products`. */
  private listProduct(stream: Stream, at: number, quantity: number, forAuction = false): MarketplaceEvent {
    const category = this.random.pick(stream.categories);
    const product: Product = {
      id: this.random.uuid(),
      price: this.random.int(5, 500) * 100,
      stock: quantity,
    };
    if (!forAuction) {
      stream.products.push(product);
      if (stream.products.length > 30) stream.products.shift();
    }
    return this.sellerEvent(EventType.ProductListed, stream, at, {
      productId: product.id,
      title: productTitle(category, ++this.productCounter),
      categoryId: category,
      price: { amountMinor: product.price, currency: CURRENCY },
      quantity,
    });
  }

  /** An auction is a fresh one-off listing followed by auction.started at the same instant. */
  private startAuction(stream: Stream, at: number, out: MarketplaceEvent[]): void {
    const listing = this.listProduct(stream, at, 1, true);
    const { productId, price } = listing.payload as { productId: string; price: { amountMinor: number } };
    const startingBid = Math.max(100, Math.round(price.amountMinor * (0.1 + this.random.float() * 0.4)));
    const auction: Auction = {
      id: this.random.uuid(),
      productId,
      endsAt: at + STEP_MS * this.random.int(200, 600),
      startingBid,
      currentBid: 0,
      increment: Math.max(25, Math.round(startingBid * 0.05)),
      bids: 0,
    };
    stream.auction = auction;
    out.push(
      listing,
      this.sellerEvent(EventType.AuctionStarted, stream, at, {
        auctionId: auction.id,
        productId,
        startingBid: { amountMinor: startingBid, currency: CURRENCY },
        endsAt: new Date(auction.endsAt).toISOString(),
      }),
    );
  }

  private endAuction(stream: Stream, at: number, cancelled: boolean): MarketplaceEvent {
    const auction = stream.auction!;
    stream.auction = undefined;
    stream.nextAuctionAt = at + STEP_MS * this.random.int(200, 2_400);
    const sold = !cancelled && auction.leader !== undefined;
    return this.sellerEvent(EventType.AuctionEnded, stream, at, {
      auctionId: auction.id,
      productId: auction.productId,
      outcome: cancelled ? AuctionOutcome.Cancelled : sold ? AuctionOutcome.Sold : AuctionOutcome.Unsold,
      ...(sold
        ? {
            winningBid: { amountMinor: auction.currentBid, currency: CURRENCY },
            winnerUserId: this.users[auction.leader!]!.id,
          }
        : {}),
    });
  }

  private startGiveaway(stream: Stream, at: number): MarketplaceEvent {
    const endsAt = at + STEP_MS * this.random.int(300, 900);
    stream.giveaway = { id: this.random.uuid(), endsAt, entrants: new Set() };
    return this.sellerEvent(EventType.GiveawayStarted, stream, at, {
      giveawayId: stream.giveaway.id,
      prize: `${stream.categories[0]!.replace(/-/g, ' ')} mystery pack`,
      endsAt: new Date(endsAt).toISOString(),
    });
  }

  private endGiveaway(stream: Stream, at: number): MarketplaceEvent {
    const giveaway = stream.giveaway!;
    stream.giveaway = undefined;
    stream.nextGiveawayAt = at + STEP_MS * this.random.int(1_800, 7_200);
    const winner = giveaway.entrants.size > 0 ? this.random.pick([...giveaway.entrants]) : undefined;
    return this.sellerEvent(EventType.GiveawayEnded, stream, at, {
      giveawayId: giveaway.id,
      ...(winner === undefined ? {} : { winnerUserId: this.users[winner]!.id }),
    });
  }

  // ---- engagement and commerce ----

  private join(stream: Stream, at: number): MarketplaceEvent {
    let user = this.pickViewerCandidate(stream);
    for (let tries = 0; tries < 5 && stream.viewerIndex.has(user); tries++) {
      user = this.pickViewerCandidate(stream);
    }
    if (stream.viewerIndex.has(user)) return this.chat(stream, at);
    stream.viewerIndex.set(user, stream.viewers.length);
    stream.viewers.push(user);
    return this.userEvent(EventType.ViewerJoined, stream, user, at, {});
  }

  private leave(stream: Stream, at: number): MarketplaceEvent {
    const index = this.random.int(0, stream.viewers.length - 1);
    const user = stream.viewers[index]!;
    const last = stream.viewers.pop()!;
    if (index < stream.viewers.length) {
      stream.viewers[index] = last;
      stream.viewerIndex.set(last, index);
    }
    stream.viewerIndex.delete(user);
    return this.userEvent(EventType.ViewerLeft, stream, user, at, {});
  }

  private chat(stream: Stream, at: number): MarketplaceEvent {
    if (stream.viewers.length === 0) return this.join(stream, at);
    return this.userEvent(EventType.ChatSent, stream, this.random.pick(stream.viewers), at, {
      messageId: this.random.uuid(),
      text: this.random.pick(CHAT_LINES),
    });
  }

  private react(stream: Stream, at: number): MarketplaceEvent {
    return this.userEvent(EventType.ReactionSent, stream, this.random.pick(stream.viewers), at, {
      kind: this.random.pick(REACTIONS),
    });
  }

  private bid(stream: Stream, at: number): MarketplaceEvent {
    const auction = stream.auction!;
    let user = this.random.pick(stream.viewers);
    if (user === auction.leader) user = this.random.pick(stream.viewers);
    // The leader does not outbid themselves; they cheer instead.
    if (user === auction.leader) return this.react(stream, at);
    // The first bid is the starting bid; then bidders raise by one or two increments.
    auction.currentBid =
      auction.bids === 0
        ? auction.startingBid
        : auction.currentBid + auction.increment * this.random.int(1, 2);
    auction.leader = user;
    auction.bids++;
    return this.userEvent(
      EventType.BidPlaced,
      stream,
      user,
      at,
      {
        auctionId: auction.id,
        productId: auction.productId,
        amount: { amountMinor: auction.currentBid, currency: CURRENCY },
      },
      true,
    );
  }

  private enterGiveaway(stream: Stream, at: number): MarketplaceEvent {
    const user = this.random.pick(stream.viewers);
    stream.giveaway!.entrants.add(user);
    return this.userEvent(EventType.GiveawayEntered, stream, user, at, { giveawayId: stream.giveaway!.id });
  }

  private purchase(stream: Stream, at: number): MarketplaceEvent {
    const index = this.random.int(0, stream.products.length - 1);
    const product = stream.products[index]!;
    const quantity = Math.min(product.stock, this.random.chance(0.8) ? 1 : this.random.int(2, 3));
    product.stock -= quantity;
    if (product.stock === 0) stream.products.splice(index, 1);
    return this.userEvent(
      EventType.ProductPurchased,
      stream,
      this.random.pick(stream.viewers),
      at,
      {
        orderId: this.random.uuid(),
        productId: product.id,
        quantity,
        total: { amountMinor: product.price * quantity, currency: CURRENCY },
      },
      true,
    );
  }

  /**
   * A user follows or unfollows a seller (70%) or a category. A user following n sellers unfollows one with
   * probability n / (n + 3) (categories: n / (n + 2)): the means the population starts with, so the follow
   * graph keeps its size over a run.
   */
  private followChange(at: number): MarketplaceEvent {
    const userIndex = this.random.int(0, this.users.length - 1);
    const user = this.users[userIndex]!;
    const base = { eventId: this.random.uuid(), version: 1, occurredAt: this.isoTime(at), userId: user.id };
    if (this.random.chance(0.7)) {
      const follows = user.followedSellers.size;
      let sellerIndex: number;
      const unfollow = follows > 0 && this.random.chance(follows / (follows + 3));
      if (unfollow) {
        sellerIndex = this.random.pick([...user.followedSellers]);
        user.followedSellers.delete(sellerIndex);
        const seller = this.sellers[sellerIndex]!;
        seller.followers = seller.followers.filter((u) => u !== userIndex);
      } else {
        sellerIndex = this.random.skewedIndex(this.sellers.length, 0.8);
        // Following someone already followed is a duplicate event, as real clients send.
        if (!user.followedSellers.has(sellerIndex)) {
          user.followedSellers.add(sellerIndex);
          this.sellers[sellerIndex]!.followers.push(userIndex);
        }
      }
      return {
        ...base,
        type: unfollow ? EventType.UserUnfollowedSeller : EventType.UserFollowedSeller,
        sellerId: this.sellers[sellerIndex]!.id,
        payload: {},
      } as unknown as MarketplaceEvent;
    }
    const follows = user.followedCategories.size;
    const unfollow = follows > 0 && this.random.chance(follows / (follows + 2));
    const categoryId = unfollow
      ? this.random.pick([...user.followedCategories])
      : this.random.pick(this.options.categories);
    if (unfollow) user.followedCategories.delete(categoryId);
    else user.followedCategories.add(categoryId);
    return {
      ...base,
      type: unfollow ? EventType.UserUnfollowedCategory : EventType.UserFollowedCategory,
      payload: { categoryId },
    } as unknown as MarketplaceEvent;
  }

  // ---- event builders (plain objects shaped as the event classes; no validation here) ----

  private sellerEvent(type: EventType, stream: Stream, at: number, payload: object): MarketplaceEvent {
    return {
      eventId: this.random.uuid(),
      type,
      version: 1,
      occurredAt: this.isoTime(at),
      livestreamId: stream.id,
      sellerId: this.sellers[stream.seller]!.id,
      payload,
    } as MarketplaceEvent;
  }

  private userEvent(
    type: EventType,
    stream: Stream,
    user: number,
    at: number,
    payload: object,
    withSeller = false,
  ): MarketplaceEvent {
    const eventId = this.random.uuid();
    const occurredAt = this.isoTime(at);
    const userId = this.users[user]!.id;
    return {
      eventId,
      type,
      version: 1,
      occurredAt,
      livestreamId: stream.id,
      userId,
      ...(withSeller ? { sellerId: this.sellers[stream.seller]!.id } : {}),
      payload,
    } as MarketplaceEvent;
  }

  // ---- malformed injection ----

  /** A faulty producer's message: a plausible event, corrupted. Uses only `faults` and changes no state. */
  private malformed(at: number): SimulatedItem {
    const defect = this.faults.pick(MALFORMED_DEFECTS);
    const event = this.shadowEvent(defect.template ?? this.faults.pick(CORRUPTIBLE_EVENT_TYPES), at);
    const wire = defect.corrupt(event);
    return {
      kind: 'malformed',
      topic: topicOf(event),
      key: defect.keyless ? null : partitionKeyOf(event),
      value: typeof wire === 'string' ? Buffer.from(wire, 'utf8') : wire,
      defect: defect.name,
      expectedCode: defect.code,
    };
  }

  /** The event a producer was trying to send, read from the current state without changing it. */
  private shadowEvent(type: CorruptibleEventType, at: number): MarketplaceEvent {
    const r = this.faults;
    const base = { eventId: r.uuid(), type, version: 1, occurredAt: this.isoTime(at) };
    const userIndex = r.int(0, this.users.length - 1);
    if (type === EventType.UserFollowedSeller) {
      return {
        ...base,
        userId: this.users[userIndex]!.id,
        sellerId: r.pick(this.sellers).id,
        payload: {},
      } as MarketplaceEvent;
    }
    if (type === EventType.UserFollowedCategory) {
      const payload = { categoryId: r.pick(this.options.categories) };
      return { ...base, userId: this.users[userIndex]!.id, payload } as MarketplaceEvent;
    }
    // There is always a stream: the first step schedules some.
    const stream = this.liveStreams.length > 0 ? this.pickLiveStream(r) : this.streams[0]!;
    const user = stream.viewers.length > 0 ? r.pick(stream.viewers) : userIndex;
    const scoped = { ...base, livestreamId: stream.id, userId: this.users[user]!.id };
    const sellerId = this.sellers[stream.seller]!.id;
    switch (type) {
      case EventType.ChatSent:
        return { ...scoped, payload: { messageId: r.uuid(), text: r.pick(CHAT_LINES) } } as MarketplaceEvent;
      case EventType.ReactionSent:
        return { ...scoped, payload: { kind: r.pick(REACTIONS) } } as MarketplaceEvent;
      case EventType.GiveawayEntered:
        return { ...scoped, payload: { giveawayId: stream.giveaway?.id ?? r.uuid() } } as MarketplaceEvent;
      case EventType.ViewerJoined:
        return { ...scoped, payload: {} } as MarketplaceEvent;
      case EventType.ProductListed: {
        const categoryId = r.pick(stream.categories);
        return {
          ...base,
          livestreamId: stream.id,
          sellerId,
          payload: {
            productId: r.uuid(),
            title: productTitle(categoryId, r.int(1, 99_999)),
            categoryId,
            price: { amountMinor: 100 * r.int(5, 500), currency: CURRENCY },
            quantity: r.int(1, 20),
          },
        } as MarketplaceEvent;
      }
      case EventType.BidPlaced: {
        const auction = stream.auction;
        const amountMinor = auction ? auction.currentBid + auction.increment : 100 * r.int(1, 100);
        return {
          ...scoped,
          sellerId,
          payload: {
            auctionId: auction?.id ?? r.uuid(),
            productId: auction?.productId ?? r.uuid(),
            amount: { amountMinor, currency: CURRENCY },
          },
        } as MarketplaceEvent;
      }
      case EventType.ProductPurchased: {
        const product = stream.products.length > 0 ? r.pick(stream.products) : undefined;
        return {
          ...scoped,
          sellerId,
          payload: {
            orderId: r.uuid(),
            productId: product?.id ?? r.uuid(),
            quantity: 1,
            total: { amountMinor: product?.price ?? 1_000, currency: CURRENCY },
          },
        } as MarketplaceEvent;
      }
    }
  }

  // ---- setup and helpers ----

  private populate(): void {
    const { categories } = this.options;
    for (let i = 0; i < this.options.sellers; i++) {
      const first = this.random.pick(categories);
      this.sellers.push({
        id: this.random.uuid(),
        quality: 0.15 + 0.85 * this.random.float() ** 2,
        categories: [...new Set([first, this.random.pick(categories), first])],
        followers: [],
      });
    }
    for (let i = 0; i < this.options.users; i++) {
      const user: User = {
        id: this.random.uuid(),
        followedSellers: new Set(),
        followedCategories: new Set(),
      };
      if (!this.random.chance(this.options.newUserShare)) {
        const follows = this.random.int(0, 6);
        for (let f = 0; f < follows; f++) {
          user.followedSellers.add(this.random.skewedIndex(this.sellers.length, 0.8));
        }
        const categoryCount = this.random.int(1, 3);
        for (let c = 0; c < categoryCount; c++) user.followedCategories.add(this.random.pick(categories));
        for (const seller of user.followedSellers) this.sellers[seller]!.followers.push(i);
      }
      this.users.push(user);
    }
  }

  /** Viewers come partly from the seller's followers (a personalization signal), partly from anyone. */
  private pickViewerCandidate(stream: Stream): number {
    const followers = this.sellers[stream.seller]!.followers;
    if (followers.length > 0 && this.random.chance(0.4)) return this.random.pick(followers);
    return this.random.int(0, this.users.length - 1);
  }

  /** Cumulative pick weights of the live streams for this step: popularity times the current waves. */
  private collectLiveStreams(now: number): void {
    const live = this.streams.filter((s) => s.status === LivestreamStatus.Live);
    if (this.weights.length < live.length) this.weights = new Float64Array(live.length * 2);
    let sum = 0;
    for (let i = 0; i < live.length; i++) {
      const stream = live[i]!;
      const wave =
        (stream.auction ? 2.5 : 1) * (stream.giveaway ? 2 : 1) * (now < stream.chatStormUntil ? 2 : 1);
      sum += stream.popularity * wave;
      this.weights[i] = sum;
    }
    this.liveStreams = live;
  }

  private pickLiveStream(random: SeededRandom): Stream {
    const n = this.liveStreams.length;
    const target = random.float() * this.weights[n - 1]!;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.weights[mid]! <= target) low = mid + 1;
      else high = mid;
    }
    return this.liveStreams[low]!;
  }

  private isoTime(at: number): string {
    if (at !== this.isoAt) {
      this.isoAt = at;
      this.iso = new Date(at).toISOString();
    }
    return this.iso;
  }
}

function validateOptions(options: ResolvedOptions): void {
  const problems: string[] = [];
  const positiveInt = (name: string, value: number, max: number) => {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      problems.push(`${name} must be an integer from 1 to ${max}, got ${value}`);
    }
  };
  if (!Number.isInteger(options.seed)) problems.push(`seed must be an integer, got ${options.seed}`);
  positiveInt('sellers', options.sellers, 1_000_000);
  positiveInt('users', options.users, 10_000_000);
  positiveInt('targetLiveStreams', options.targetLiveStreams, 1_000_000);
  if (!(options.eventsPerSecond >= 1 && options.eventsPerSecond <= 50_000)) {
    problems.push(`eventsPerSecond must be from 1 to 50000, got ${options.eventsPerSecond}`);
  }
  if (!(options.malformedRate >= 0 && options.malformedRate <= 1)) {
    problems.push(`malformedRate must be from 0 to 1, got ${options.malformedRate}`);
  }
  if (!(options.newUserShare >= 0 && options.newUserShare <= 1)) {
    problems.push(`newUserShare must be from 0 to 1, got ${options.newUserShare}`);
  }
  if (!Number.isFinite(options.startTime)) {
    problems.push(`startTime must be epoch milliseconds, got ${options.startTime}`);
  }
  if (options.categories.length === 0) problems.push('categories must not be empty');
  const badSlugs = options.categories.filter((c) => !CATEGORY_ID_PATTERN.test(c));
  if (badSlugs.length > 0) problems.push(`categories must be lowercase slugs, got ${badSlugs.join(', ')}`);
  if (problems.length > 0) throw new Error(`invalid simulator options: ${problems.join('; ')}`);
}
