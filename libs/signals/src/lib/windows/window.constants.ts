/**
 * Windows are bucketed by event time. The 1- and 5-minute windows read 5-second buckets (the current
 * bucket plus the 11 or 59 before it); the 60-minute window reads 1-minute buckets. So a window's edge is
 * exact to its bucket: an event 62 s old may still count in "1m" until its 5-second bucket rolls out.
 */
export const FINE_BUCKET_MS = 5_000;
export const FINE_SLOTS = 60;
export const COARSE_BUCKET_MS = 60_000;
export const COARSE_SLOTS = 60;

export const WINDOWS = ['1m', '5m', '60m'] as const;
export type WindowName = (typeof WINDOWS)[number];

/** Buckets of each window: [bucket size, how many buckets back including the current one]. */
export const WINDOW_BUCKETS: Readonly<Record<WindowName, { coarse: boolean; buckets: number }>> = {
  '1m': { coarse: false, buckets: 12 },
  '5m': { coarse: false, buckets: 60 },
  '60m': { coarse: true, buckets: 60 },
};
