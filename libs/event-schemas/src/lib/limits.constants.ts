/** Largest encoded event accepted, in bytes (UTF-8). Larger messages are dead-lettered as `too_large`. */
export const MAX_EVENT_BYTES = 64 * 1024;

/** Deepest JSON nesting accepted; the deepest valid event is 4 levels, so 8 leaves room without risk. */
export const MAX_EVENT_DEPTH = 8;

/**
 * Largest money amount in minor units (10^12 = 10 billion of a 2-decimal currency). Keeps every amount
 * far inside Number.MAX_SAFE_INTEGER so sums over windows stay exact.
 */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;

/** Event time may not be earlier than this; anything older is a producer bug (epoch zero, wrong units). */
export const EARLIEST_EVENT_TIME = Date.parse('2000-01-01T00:00:00.000Z');

/** How far ahead of the consumer's clock an event time may be before it is called impossible. */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

export const MAX_TITLE_LENGTH = 200;
export const MAX_CHAT_LENGTH = 500;
export const MAX_CATEGORIES_PER_ITEM = 5;
export const MAX_URL_LENGTH = 2048;
export const MAX_QUANTITY = 10_000;

/** Category ids are lowercase slugs: `trading-cards`, `sneakers`. */
export const CATEGORY_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_CATEGORY_ID_LENGTH = 64;
