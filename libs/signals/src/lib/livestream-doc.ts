import { type LivestreamState, type StateCheckpoint } from './livestream-state';
import { type WindowName } from './windows/window.constants';

export type WindowValues = Record<WindowName, number | null>;

/** Seller features imported from the batch side (scores, embeddings); null until known. */
export interface SellerFeatures {
  score: number | null;
  embedding: number[] | null;
}

/**
 * The denormalized document of one live stream that every retrieval backend indexes: latest state,
 * windowed signals, derived momentum and hotness, and seller features.
 */
export interface LivestreamDoc extends LivestreamState {
  signals: Record<string, WindowValues>;
  /** Engagement in the last minute against the per-minute average of the last five; > 1 means a wave. */
  momentum: number;
  /** How much is happening now, weighted by kind and lifted by momentum. */
  hotness: number;
  seller: SellerFeatures;
  /** Event time of the newest event applied to this stream. */
  lastEventAt: string;
  /** The event-time watermark the windows were read at. */
  asOf: string;
  /**
   * Monotonic per stream across restarts and replays: derived from `lastEventAt`, so the same events give
   * the same version and a doc built from fewer events never replaces one built from more.
   */
  version: number;
  /**
   * Not for retrieval: which events this doc already holds, so an ingestor that restarts or takes the
   * stream over in a rebalance resumes from the doc without counting an event twice.
   */
  checkpoint: StateCheckpoint;
}

/** Smoothing for momentum, in events per minute: keeps two chats in a quiet stream from reading as a wave. */
export const MOMENTUM_SMOOTHING = 5;

export function momentumOf(engagement1m: number, engagement5m: number): number {
  return round3((engagement1m + MOMENTUM_SMOOTHING) / (engagement5m / 5 + MOMENTUM_SMOOTHING));
}

export function hotnessOf(
  signals: Record<string, WindowValues>,
  currentViewers: number,
  momentum: number,
): number {
  const last = (name: string) => signals[name]?.['1m'] ?? 0;
  const activity =
    3 * last('bids') +
    last('chats') +
    0.5 * last('reactions') +
    2 * last('giveawayEntries') +
    5 * last('purchases') +
    0.2 * currentViewers;
  return round3(Math.log1p(activity) * Math.min(Math.max(momentum, 0.5), 3));
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
