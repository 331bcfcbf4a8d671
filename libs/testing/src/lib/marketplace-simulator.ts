import {
  AuctionOutcome,
  type DecodeErrorCode,
  decodeEvent,
  EventType,
  LivestreamStatus,
  type MarketplaceEvent,
  MAX_EVENT_BYTES,
  partitionKeyOf,
  ReactionKind,
  topicOf,
} from '@crest/event-schemas';

import { CHAT_LINES, productTitle, SIMULATED_CATEGORIES, streamTitle } from './marketplace-catalog';
import { SeededRandom } from './seeded-random';

export interface MarketplaceSimulatorOptions {
  /** Same seed and options give a byte-identical stream. Default 42. */
  seed?: number;
  sellers?: number;
  users?: number;
  categories?: readonly string[];
  /** Streams the simulator keeps live at once (it schedules new ones as others end). */
  targetLiveStreams?: number;
  /** Events per second of virtual time, from 1 up to 50,000. */
  eventsPerSecond?: number;
  /** Share of items that are deliberately malformed (0 to 1). */
  malformedRate?: number;
  /** Share of users with no history: they follow nothing but still watch and engage. */
  newUserShare?: number;
  /** Virtual clock start, epoch ms. Pass Date.now() to run in real time. */
  startTime?: number;
}

export type SimulatedItem =
  | { kind: 'event'; event: MarketplaceEvent }
  | {
      kind: 'malformed';
      topic: string;
      key: string | null;
      value: Buffer;
      /** What is wrong, in a few words. */
      defect: string;
      /** The code decodeEvent reports for it. */
      expectedCode: DecodeErrorCode;
    };

interface Seller {
  id: string;
  quality: number;
  categories: string[];
  followers: number[];
}

interface User {
  id: string;
  isNew: boolean;
  followedSellers: Set<number>;
  followedCategories: Set<string>;
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
  viewers: number[];
  viewerIndex: Map<number, number>;
  products: Array<{ id: string; price: number; category: string }>;
  auction?: {
    id: string;
    productId: string;
    endsAt: number;
    currentBid: number;
    increment: number;
    leader?: number;
    bids: number;
  };
  giveaway?: { id: string; endsAt: number; entrants: Set<number> };
  nextAuctionAt: number;
  nextGiveawayAt: number;
  chatStormUntil: number;
  endedAt?: number;
}

const STEP_MS = 100;
const CURRENCY = 'USD';
const MINUTE = 60_000;

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

/**
 * A seeded, deterministic live-shopping marketplace. Sellers schedule streams that go live, run auction
 * waves (a flurry of rising bids), giveaways (a storm of entries) and chat storms between lulls, and end.
 * Users follow sellers and categories, watch, chat, react, bid, enter giveaways and buy; a share of them are
 * new and follow nothing. Popularity is skewed: a few streams draw most viewers.
 *
 * Time is virtual: `advance(ms)` returns what happened in the next `ms`, at `eventsPerSecond`, in
 * `occurredAt` order. Nothing reads the wall clock or Math.random, so a seed replays exactly.
 */
export class MarketplaceSimulator {
  private readonly random: SeededRandom;
  private readonly options: Required<Omit<MarketplaceSimulatorOptions, 'categories'>> & {
    categories: string[];
  };
  private readonly sellers: Seller[] = [];
  private readonly users: User[] = [];
  private readonly streams: Stream[] = [];
  private clock: number;
  private budget = 0;
  private weights: Float64Array = new Float64Array(0);
  private weightedStreams: Stream[] = [];
  private productCounter = 0;
  private iso = '';
  private isoAt = Number.NaN;

  constructor(options: MarketplaceSimulatorOptions = {}) {
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    this.options = { ...DEFAULTS, ...given, categories: [...(options.categories ?? SIMULATED_CATEGORIES)] };
    validateOptions(this.options);
    this.random = new SeededRandom(this.options.seed);
    this.clock = this.options.startTime;
    this.populate();
  }

  /** The virtual clock, epoch ms. */
  now(): number {
    return this.clock;
  }

  liveStreamCount(): number {
    return this.streams.filter((s) => s.status === LivestreamStatus.Live).length;
  }

  /** Follow events describing the initial follow graph (who followed whom before the run), for seeding. */
  initialFollowEvents(): MarketplaceEvent[] {
    const at = new Date(this.options.startTime - MINUTE).toISOString();
    const events: MarketplaceEvent[] = [];
    for (const user of this.users) {
      for (const seller of user.followedSellers) {
        events.push({
          eventId: this.random.uuid(),
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
          eventId: this.random.uuid(),
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

  /** Moves the virtual clock `ms` forward and returns what happened meanwhile, in occurredAt order. */
  advance(ms: number): SimulatedItem[] {
    if (!(ms >= 0)) throw new Error(`advance needs a non-negative duration, got ${ms}`);
    const items: SimulatedItem[] = [];
    const end = this.clock + ms;
    while (this.clock < end) {
      const step = Math.min(STEP_MS, end - this.clock);
      this.step(step, items);
      this.clock += step;
    }
    return items;
  }

  // ---- one step of virtual time ----

  private step(ms: number, out: SimulatedItem[]): void {
    const stepStart = this.clock;
    const produced: MarketplaceEvent[] = [];
    this.runLifecycle(stepStart, produced);
    this.budget += (this.options.eventsPerSecond * ms) / 1000;
    const count = Math.max(0, Math.floor(this.budget) - produced.length);
    this.budget -= produced.length + count;
    if (this.budget < -this.options.eventsPerSecond) this.budget = -this.options.eventsPerSecond;
    this.rebuildWeights();
    for (let i = 0; i < count; i++) {
      const at = stepStart + Math.floor(((i + 0.5) * ms) / count);
      const event = this.engagement(at);
      if (event) produced.push(event);
    }
    for (const event of produced) out.push(this.maybeMalformed(event));
  }

  private runLifecycle(now: number, out: MarketplaceEvent[]): void {
    const scheduledOrLive = this.streams.filter((s) => s.status !== LivestreamStatus.Ended).length;
    // At the start of a run most streams go live within seconds, so the marketplace is busy from the off.
    const warmingUp = now === this.options.startTime;
    for (let i = scheduledOrLive; i < this.options.targetLiveStreams; i++) {
      out.push(this.scheduleStream(now, warmingUp && this.random.chance(0.8) ? 1_000 : undefined));
    }

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
          stream.status = LivestreamStatus.Ended;
          stream.endedAt = now;
          stream.viewers = [];
          stream.viewerIndex.clear();
          out.push(this.statusEvent(stream, now));
          continue;
        }
        if (!stream.auction && now >= stream.nextAuctionAt) out.push(...this.startAuction(stream, now));
        if (!stream.giveaway && now >= stream.nextGiveawayAt) out.push(this.startGiveaway(stream, now));
        if (now >= stream.chatStormUntil + 2 * MINUTE && this.random.chance(0.0005)) {
          stream.chatStormUntil = now + this.random.int(15_000, 45_000);
        }
      }
    }
    // Forget streams that ended a while ago so long runs stay bounded in memory.
    if (this.streams.length > this.options.targetLiveStreams * 3) {
      const keep = this.streams.filter((s) => s.endedAt === undefined || now - s.endedAt < 10 * MINUTE);
      this.streams.length = 0;
      this.streams.push(...keep);
    }
  }

  private engagement(at: number): MarketplaceEvent | undefined {
    if (this.weightedStreams.length === 0) return this.followChange(at);
    if (this.random.chance(0.02)) return this.followChange(at);
    const stream = this.pickStream();
    const storm = at < stream.chatStormUntil;
    const auction = stream.auction;
    const giveaway = stream.giveaway;
    const hasViewers = stream.viewers.length > 0;
    const targetViewers = Math.ceil(stream.popularity * 400);

    // Weights of what happens next on this stream; waves multiply their kind.
    const wJoin = stream.viewers.length < targetViewers ? 14 : 3;
    const wLeave = hasViewers ? (stream.viewers.length > targetViewers ? 12 : 4) : 0;
    const wChat = hasViewers ? (storm ? 60 : 14) : 0;
    const wReact = hasViewers ? (storm ? 40 : 14) : 0;
    const wBid = hasViewers && auction ? 45 : 0;
    const wEntry = hasViewers && giveaway ? 40 : 0;
    const wBuy = hasViewers && stream.products.length > 0 ? 2.5 : 0;
    const wList = 0.6;
    const total = wJoin + wLeave + wChat + wReact + wBid + wEntry + wBuy + wList;
    let roll = this.random.float() * total;
    if ((roll -= wJoin) < 0) return this.join(stream, at);
    if ((roll -= wLeave) < 0) return this.leave(stream, at);
    if ((roll -= wChat) < 0) return this.chat(stream, at);
    if ((roll -= wReact) < 0) return this.react(stream, at);
    if ((roll -= wBid) < 0) return this.bid(stream, at);
    if ((roll -= wEntry) < 0) return this.enterGiveaway(stream, at);
    if ((roll -= wBuy) < 0) return this.purchase(stream, at);
    return this.listProduct(stream, at);
  }

  // ---- event builders ----

  private base(
    type: EventType,
    at: number,
  ): { eventId: string; type: EventType; version: 1; occurredAt: string } {
    return { eventId: this.random.uuid(), type, version: 1, occurredAt: this.isoTime(at) };
  }

  private scheduleStream(now: number, maxLeadMs = 60_000): MarketplaceEvent {
    const seller = this.random.skewedIndex(this.sellers.length, 0.6);
    const sellerRecord = this.sellers[seller]!;
    const primary = this.random.pick(sellerRecord.categories);
    const categories = [...new Set([primary, this.random.pick(sellerRecord.categories)])];
    const goLiveAt = now + this.random.int(Math.min(5_000, maxLeadMs / 2), maxLeadMs);
    const stream: Stream = {
      id: this.random.uuid(),
      seller,
      title: streamTitle(primary, this.random.int(0, 99), this.random.int(0, 99)),
      categories,
      status: LivestreamStatus.Scheduled,
      goLiveAt,
      endAt: goLiveAt + this.random.int(maxLeadMs < 60_000 ? 2 * MINUTE : 8 * MINUTE, 40 * MINUTE),
      popularity: sellerRecord.quality * (0.2 + this.random.float()) * (this.random.chance(0.05) ? 6 : 1),
      viewers: [],
      viewerIndex: new Map(),
      products: [],
      nextAuctionAt: goLiveAt + this.random.int(10_000, 90_000),
      nextGiveawayAt: goLiveAt + this.random.int(60_000, 6 * MINUTE),
      chatStormUntil: 0,
    };
    this.streams.push(stream);
    return this.statusEvent(stream, now, goLiveAt);
  }

  private statusEvent(stream: Stream, at: number, scheduledStartAt?: number): MarketplaceEvent {
    return this.sellerEvent(EventType.LivestreamStatusChanged, stream, at, {
      status: stream.status,
      title: stream.title,
      categoryIds: stream.categories,
      ...(scheduledStartAt === undefined
        ? {}
        : { scheduledStartAt: new Date(scheduledStartAt).toISOString() }),
      thumbnailUrl: `https://img.crest.dev/streams/${stream.id}.jpg`,
    });
  }

  private listProduct(stream: Stream, at: number): MarketplaceEvent {
    const category = this.random.pick(stream.categories);
    const product = { id: this.random.uuid(), price: this.random.int(5, 500) * 100, category };
    stream.products.push(product);
    if (stream.products.length > 30) stream.products.shift();
    return this.sellerEvent(EventType.ProductListed, stream, at, {
      productId: product.id,
      title: productTitle(category, ++this.productCounter),
      categoryId: category,
      price: { amountMinor: product.price, currency: CURRENCY },
      quantity: this.random.int(1, 20),
    });
  }

  private startAuction(stream: Stream, at: number): MarketplaceEvent[] {
    const events: MarketplaceEvent[] = [];
    if (stream.products.length === 0) events.push(this.listProduct(stream, at));
    const product = stream.products[stream.products.length - 1]!;
    const startingBid = Math.max(100, Math.round(product.price * (0.1 + this.random.float() * 0.4)));
    const endsAt = at + this.random.int(20_000, 60_000);
    const increment = Math.max(25, Math.round(startingBid * 0.05));
    stream.auction = {
      id: this.random.uuid(),
      productId: product.id,
      endsAt,
      currentBid: startingBid,
      increment,
      bids: 0,
    };
    events.push(
      this.sellerEvent(EventType.AuctionStarted, stream, at, {
        auctionId: stream.auction.id,
        productId: product.id,
        startingBid: { amountMinor: startingBid, currency: CURRENCY },
        endsAt: new Date(endsAt).toISOString(),
      }),
    );
    return events;
  }

  private endAuction(stream: Stream, at: number, cancelled: boolean): MarketplaceEvent {
    const auction = stream.auction!;
    stream.auction = undefined;
    stream.nextAuctionAt = at + this.random.int(20_000, 4 * MINUTE);
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
    const endsAt = at + this.random.int(30_000, 90_000);
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
    stream.nextGiveawayAt = at + this.random.int(3 * MINUTE, 12 * MINUTE);
    const entrants = [...giveaway.entrants];
    return this.sellerEvent(EventType.GiveawayEnded, stream, at, {
      giveawayId: giveaway.id,
      ...(entrants.length > 0 ? { winnerUserId: this.users[this.random.pick(entrants)]!.id } : {}),
    });
  }

  private join(stream: Stream, at: number): MarketplaceEvent {
    let user = this.pickViewerCandidate(stream);
    for (let tries = 0; tries < 5 && stream.viewerIndex.has(user); tries++)
      user = this.pickViewerCandidate(stream);
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
    const user = this.random.pick(stream.viewers);
    // Bidders raise by one or two increments: a steady climb, however many bids an auction draws.
    auction.currentBid += auction.increment * this.random.int(1, 2);
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
    const product = this.random.pick(stream.products);
    const quantity = this.random.chance(0.8) ? 1 : this.random.int(2, 3);
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

  private followChange(at: number): MarketplaceEvent {
    const userIndex = this.random.int(0, this.users.length - 1);
    const user = this.users[userIndex]!;
    const base = { userId: user.id };
    if (this.random.chance(0.7)) {
      const seller = this.random.skewedIndex(this.sellers.length, 0.8);
      const following = user.followedSellers.has(seller);
      if (following && this.random.chance(0.5)) {
        user.followedSellers.delete(seller);
        this.sellers[seller]!.followers = this.sellers[seller]!.followers.filter((u) => u !== userIndex);
        return {
          ...this.base(EventType.UserUnfollowedSeller, at),
          ...base,
          sellerId: this.sellers[seller]!.id,
          payload: {},
        } as MarketplaceEvent;
      }
      if (!following) {
        user.followedSellers.add(seller);
        this.sellers[seller]!.followers.push(userIndex);
      }
      user.isNew = false;
      return {
        ...this.base(EventType.UserFollowedSeller, at),
        ...base,
        sellerId: this.sellers[seller]!.id,
        payload: {},
      } as MarketplaceEvent;
    }
    const categoryId = this.random.pick(this.options.categories);
    if (user.followedCategories.has(categoryId) && this.random.chance(0.5)) {
      user.followedCategories.delete(categoryId);
      return {
        ...this.base(EventType.UserUnfollowedCategory, at),
        ...base,
        payload: { categoryId },
      } as MarketplaceEvent;
    }
    user.followedCategories.add(categoryId);
    user.isNew = false;
    return {
      ...this.base(EventType.UserFollowedCategory, at),
      ...base,
      payload: { categoryId },
    } as MarketplaceEvent;
  }

  private sellerEvent(type: EventType, stream: Stream, at: number, payload: object): MarketplaceEvent {
    return {
      ...this.base(type, at),
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
    return {
      ...this.base(type, at),
      livestreamId: stream.id,
      userId: this.users[user]!.id,
      ...(withSeller ? { sellerId: this.sellers[stream.seller]!.id } : {}),
      payload,
    } as MarketplaceEvent;
  }

  // ---- malformed injection ----

  private maybeMalformed(event: MarketplaceEvent): SimulatedItem {
    if (this.options.malformedRate === 0 || !this.random.chance(this.options.malformedRate)) {
      return { kind: 'event', event };
    }
    const defect = this.random.pick(DEFECTS);
    const wire = defect.corrupt(event, this.random);
    return {
      kind: 'malformed',
      topic: topicOf(event),
      key: partitionKeyOf(event),
      value: typeof wire === 'string' ? Buffer.from(wire) : wire,
      defect: defect.name,
      expectedCode: defect.code,
    };
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
      const isNew = this.random.chance(this.options.newUserShare);
      const user: User = {
        id: this.random.uuid(),
        isNew,
        followedSellers: new Set(),
        followedCategories: new Set(),
      };
      if (!isNew) {
        const follows = this.random.int(0, 6);
        for (let f = 0; f < follows; f++)
          user.followedSellers.add(this.random.skewedIndex(this.sellers.length, 0.8));
        const categoryCount = this.random.int(1, 3);
        for (let c = 0; c < categoryCount; c++) user.followedCategories.add(this.random.pick(categories));
        for (const seller of user.followedSellers) this.sellers[seller]!.followers.push(i);
      }
      this.users.push(user);
    }
  }

  private pickViewerCandidate(stream: Stream): number {
    const followers = this.sellers[stream.seller]!.followers;
    if (followers.length > 0 && this.random.chance(0.4)) return this.random.pick(followers);
    return this.random.int(0, this.users.length - 1);
  }

  private rebuildWeights(): void {
    const live = this.streams.filter((s) => s.status === LivestreamStatus.Live);
    if (this.weights.length < live.length) this.weights = new Float64Array(live.length * 2);
    let sum = 0;
    live.forEach((stream, i) => {
      const wave =
        (stream.auction ? 2.5 : 1) * (stream.giveaway ? 2 : 1) * (this.clock < stream.chatStormUntil ? 2 : 1);
      sum += stream.popularity * wave;
      this.weights[i] = sum;
    });
    this.weightedStreams = live;
  }

  private pickStream(): Stream {
    const n = this.weightedStreams.length;
    const target = this.random.float() * this.weights[n - 1]!;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.weights[mid]! <= target) low = mid + 1;
      else high = mid;
    }
    return this.weightedStreams[low]!;
  }

  private isoTime(at: number): string {
    if (at !== this.isoAt) {
      this.isoAt = at;
      this.iso = new Date(at).toISOString();
    }
    return this.iso;
  }
}

const REACTIONS = Object.values(ReactionKind);

interface Defect {
  name: string;
  code: DecodeErrorCode;
  corrupt(event: MarketplaceEvent, random: SeededRandom): string | Buffer;
}

const json = (event: MarketplaceEvent, changes: Record<string, unknown>) =>
  JSON.stringify({ ...event, ...changes });

/** Ways producers get events wrong, each with the error decodeEvent gives it. */
const DEFECTS: readonly Defect[] = [
  { name: 'not JSON', code: 'not_json', corrupt: (e) => `event=${e.type}` },
  { name: 'truncated JSON', code: 'not_json', corrupt: (e) => JSON.stringify(e).slice(0, 40) },
  { name: 'empty message', code: 'empty', corrupt: () => '' },
  { name: 'JSON array', code: 'not_an_object', corrupt: (e) => JSON.stringify([e]) },
  {
    name: 'invalid UTF-8',
    code: 'not_utf8',
    corrupt: (e) =>
      Buffer.concat([Buffer.from(JSON.stringify(e).slice(0, 20)), Buffer.from([0xff, 0xfe, 0xc3])]),
  },
  { name: 'too large', code: 'too_large', corrupt: (e) => json(e, { padding: 'x'.repeat(MAX_EVENT_BYTES) }) },
  {
    name: 'deeply nested',
    code: 'too_deep',
    corrupt: (e) => json(e, { payload: JSON.parse(`${'{"a":'.repeat(20)}1${'}'.repeat(20)}`) }),
  },
  { name: 'no type', code: 'missing_type', corrupt: (e) => json(e, { type: undefined }) },
  { name: 'unknown type', code: 'unknown_type', corrupt: (e) => json(e, { type: 'stream.teleported' }) },
  { name: 'unsupported version', code: 'unsupported_version', corrupt: (e) => json(e, { version: 7 }) },
  { name: 'version as text', code: 'invalid_version', corrupt: (e) => json(e, { version: 'v1' }) },
  { name: 'event id not a uuid', code: 'validation_failed', corrupt: (e) => json(e, { eventId: 'evt-123' }) },
  {
    name: 'timestamp before 2000',
    code: 'validation_failed',
    corrupt: (e) => json(e, { occurredAt: '1970-01-01T00:00:00Z' }),
  },
  {
    name: 'timestamp without zone',
    code: 'validation_failed',
    corrupt: (e) => json(e, { occurredAt: e.occurredAt.replace('Z', '') }),
  },
  {
    name: 'timestamp far in the future',
    code: 'validation_failed',
    corrupt: (e) => json(e, { occurredAt: '2999-01-01T00:00:00Z' }),
  },
  { name: 'unknown field', code: 'validation_failed', corrupt: (e) => json(e, { debug: true }) },
  {
    name: 'negative money',
    code: 'validation_failed',
    corrupt: (e) =>
      json(e, {
        type: EventType.BidPlaced,
        payload: {
          auctionId: e.eventId,
          productId: e.eventId,
          amount: { amountMinor: -100, currency: CURRENCY },
        },
      }),
  },
  {
    name: 'fractional money',
    code: 'validation_failed',
    corrupt: (e) =>
      json(e, {
        type: EventType.BidPlaced,
        payload: {
          auctionId: e.eventId,
          productId: e.eventId,
          amount: { amountMinor: 10.5, currency: CURRENCY },
        },
      }),
  },
  {
    name: 'overflowing money',
    code: 'validation_failed',
    corrupt: (e) =>
      json(e, {
        type: EventType.BidPlaced,
        payload: {
          auctionId: e.eventId,
          productId: e.eventId,
          amount: { amountMinor: 1e300, currency: CURRENCY },
        },
      }),
  },
  {
    name: 'huge string',
    code: 'validation_failed',
    corrupt: (e) =>
      json(e, { type: EventType.ChatSent, payload: { messageId: e.eventId, text: 'spam '.repeat(2_000) } }),
  },
];

function validateOptions(options: MarketplaceSimulator['options']): void {
  const problems: string[] = [];
  const positiveInt = (name: string, value: number, max: number) => {
    if (!Number.isInteger(value) || value < 1 || value > max)
      problems.push(`${name} must be an integer from 1 to ${max}, got ${value}`);
  };
  positiveInt('sellers', options.sellers, 1_000_000);
  positiveInt('users', options.users, 10_000_000);
  positiveInt('targetLiveStreams', options.targetLiveStreams, 1_000_000);
  if (!(options.eventsPerSecond > 0 && options.eventsPerSecond <= 50_000))
    problems.push(`eventsPerSecond must be in (0, 50000], got ${options.eventsPerSecond}`);
  if (!(options.malformedRate >= 0 && options.malformedRate <= 1))
    problems.push(`malformedRate must be in [0, 1], got ${options.malformedRate}`);
  if (!(options.newUserShare >= 0 && options.newUserShare <= 1))
    problems.push(`newUserShare must be in [0, 1], got ${options.newUserShare}`);
  if (!Number.isFinite(options.startTime))
    problems.push(`startTime must be epoch milliseconds, got ${options.startTime}`);
  if (options.categories.length === 0) problems.push('categories must not be empty');
  if (problems.length > 0) throw new Error(`invalid simulator options: ${problems.join('; ')}`);
}

/** Decodes an item the way the ingest edge will, for tests: a valid event must decode, a malformed one must not. */
export function decodeSimulatedItem(item: SimulatedItem, now: number) {
  return decodeEvent(item.kind === 'event' ? JSON.stringify(item.event) : item.value, { now });
}
