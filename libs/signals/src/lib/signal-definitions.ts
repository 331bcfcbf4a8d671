import { type EventOf, EventType, type MarketplaceEvent } from '@crest/event-schemas';

export type Aggregation = 'count' | 'sum' | 'distinct' | 'last';

/**
 * A windowed signal per live stream, declared as data: which events feed it, an optional filter, how
 * they aggregate, and (for sum, distinct and last) which value of the event is aggregated. Every signal is
 * kept for every window (1m, 5m, 60m). Adding a signal is one entry in a list like DEFAULT_SIGNALS.
 */
export interface WindowSignalDefinition {
  /** camelCase; becomes `signals.<name>.<window>` in the livestream doc. */
  name: string;
  eventTypes: readonly EventType[];
  aggregation: Aggregation;
  filter?: (event: MarketplaceEvent) => boolean;
  /** The aggregated value: a number for sum/last, any identity for distinct. Not used by count. */
  value?: (event: MarketplaceEvent) => number | string;
}

const ENGAGEMENT = [
  EventType.BidPlaced,
  EventType.ChatSent,
  EventType.ReactionSent,
  EventType.GiveawayEntered,
  EventType.ProductPurchased,
] as const;

const userOf = (event: MarketplaceEvent) => ('userId' in event ? event.userId : '');

/** The signals Crest ships. Amounts are in minor units of the event's currency (USD in the simulator). */
export const DEFAULT_SIGNALS: readonly WindowSignalDefinition[] = [
  { name: 'bids', eventTypes: [EventType.BidPlaced], aggregation: 'count' },
  { name: 'chats', eventTypes: [EventType.ChatSent], aggregation: 'count' },
  { name: 'reactions', eventTypes: [EventType.ReactionSent], aggregation: 'count' },
  { name: 'giveawayEntries', eventTypes: [EventType.GiveawayEntered], aggregation: 'count' },
  { name: 'purchases', eventTypes: [EventType.ProductPurchased], aggregation: 'count' },
  {
    name: 'gmvMinor',
    eventTypes: [EventType.ProductPurchased],
    aggregation: 'sum',
    value: (e) => (e as EventOf<typeof EventType.ProductPurchased>).payload.total.amountMinor,
  },
  { name: 'engagedUsers', eventTypes: ENGAGEMENT, aggregation: 'distinct', value: userOf },
  { name: 'bidders', eventTypes: [EventType.BidPlaced], aggregation: 'distinct', value: userOf },
  { name: 'viewersJoined', eventTypes: [EventType.ViewerJoined], aggregation: 'count' },
  { name: 'viewersLeft', eventTypes: [EventType.ViewerLeft], aggregation: 'count' },
  {
    name: 'lastBidMinor',
    eventTypes: [EventType.BidPlaced],
    aggregation: 'last',
    value: (e) => (e as EventOf<typeof EventType.BidPlaced>).payload.amount.amountMinor,
  },
];

/** Checks a signal list once, at startup: unique names, values where the aggregation needs them. */
export function validateSignalDefinitions(signals: readonly WindowSignalDefinition[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const signal of signals) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(signal.name))
      problems.push(`signal name "${signal.name}" must be camelCase`);
    if (seen.has(signal.name)) problems.push(`signal "${signal.name}" is declared twice`);
    seen.add(signal.name);
    if (signal.eventTypes.length === 0) problems.push(`signal "${signal.name}" has no event types`);
    if (signal.aggregation !== 'count' && !signal.value) {
      problems.push(`signal "${signal.name}" aggregates with ${signal.aggregation} and needs a value`);
    }
  }
  if (problems.length > 0) throw new Error(`invalid signal definitions: ${problems.join('; ')}`);
}
