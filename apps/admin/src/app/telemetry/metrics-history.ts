import { parsePrometheusText, type Sample } from './prometheus-text';

export interface ScrapeTarget {
  /** e.g. `feed-api` or `event-ingestor`; several targets may share a job (feed-api instances). */
  job: string;
  /** Base URL; `/metrics` is read from it. */
  url: string;
}

export interface Scrape {
  at: number;
  samples: Sample[];
}

export interface TargetStatus {
  job: string;
  url: string;
  up: boolean;
  lastScrapeAt: string | null;
  lastError: string | null;
}

export interface MetricsHistoryOptions {
  intervalMs: number;
  /** How much history is kept. Default one hour. */
  keepMs?: number;
  timeoutMs?: number;
}

interface TargetState {
  target: ScrapeTarget;
  scrapes: Scrape[];
  lastScrapeAt: number | null;
  lastError: string | null;
}

/**
 * The admin's own short memory of the services' Prometheus metrics: every target's /metrics read each
 * interval and kept for an hour, so the pages can show rates and quantiles over time without a Prometheus
 * server. (Where one runs, point Grafana at it; this is for the console.)
 */
export class MetricsHistory {
  private readonly states: TargetState[];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    targets: readonly ScrapeTarget[],
    private readonly options: MetricsHistoryOptions,
  ) {
    this.states = targets.map((target) => ({ target, scrapes: [], lastScrapeAt: null, lastError: null }));
  }

  start(): void {
    if (this.timer) return;
    void this.scrapeOnce();
    this.timer = setInterval(() => void this.scrapeOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  /** Reads every target once (a slow target does not delay the others); never throws. */
  scrapeOnce(): Promise<void> {
    this.inFlight ??= Promise.all(this.states.map((state) => this.scrape(state))).then(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  status(): TargetStatus[] {
    return this.states.map(({ target, lastScrapeAt, lastError }) => ({
      job: target.job,
      url: target.url,
      up: lastScrapeAt !== null && lastError === null,
      lastScrapeAt: lastScrapeAt === null ? null : new Date(lastScrapeAt).toISOString(),
      lastError,
    }));
  }

  /** The scrapes of every target of a job, oldest first, per target. */
  scrapesOf(job: string): Array<{ url: string; scrapes: readonly Scrape[] }> {
    return this.states
      .filter((state) => state.target.job === job)
      .map((state) => ({ url: state.target.url, scrapes: state.scrapes }));
  }

  private async scrape(state: TargetState): Promise<void> {
    const url = `${state.target.url.replace(/\/$/, '')}/metrics`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 2_000) });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      const { samples } = parsePrometheusText(await response.text());
      const at = Date.now();
      state.scrapes.push({ at, samples });
      const oldest = at - (this.options.keepMs ?? 3_600_000);
      while (state.scrapes.length > 0 && state.scrapes[0]!.at < oldest) state.scrapes.shift();
      state.lastScrapeAt = at;
      state.lastError = null;
    } catch (error) {
      state.lastError = `${url}: ${(error as Error).message}`;
    }
  }
}
