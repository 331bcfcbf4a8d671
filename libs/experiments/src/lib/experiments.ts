import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { type FeatureApiResponse, GrowthBookClient, type UserScopedGrowthBook } from '@growthbook/growthbook';

import { type ExposureLog } from './exposure-log';
import {
  DEFAULT_HOME_FEED_CONFIG,
  HOME_FEED_CONFIG_FEATURE,
  type HomeFeedConfig,
  homeFeedConfigProblems,
} from './home-feed-config';

/** What a request is targeted by (GrowthBook attributes). */
export interface FeedAttributes {
  userId: string;
  /** Exposures are logged once per user, experiment and session. Default: the user id. */
  sessionId?: string;
  country?: string;
  platform?: 'ios' | 'android' | 'web';
  appVersion?: string;
  newUser: boolean;
}

export interface ExperimentsLogger {
  log(message: string): void;
  error(message: string): void;
}

export interface ExperimentsOptions {
  /** Embedded mode: a GrowthBook features payload (the `/api/features/<clientKey>` answer) as a file. */
  payloadFile?: string;
  /** Production: GrowthBook's API host (or its proxy) and the SDK connection's client key. */
  apiHost?: string;
  clientKey?: string;
  /** How often features are fetched again. Default 30 s. */
  refreshIntervalMs?: number;
  fetchTimeoutMs?: number;
  /** The last good payload from GrowthBook, kept on disk for a start while GrowthBook is unreachable. */
  cacheFile?: string;
  exposures?: ExposureLog;
  logger?: ExperimentsLogger;
}

/** Where the payload in force came from. */
export type PayloadSource = 'file' | 'growthbook' | 'disk-cache' | 'built-in-default';

export interface ExperimentsStatus {
  source: PayloadSource;
  /** When the payload in force was loaded. */
  loadedAt: string;
  /** The last refresh's failure (GrowthBook unreachable, an invalid payload), if the last one failed. */
  lastError: string | null;
  /** Feature keys in the payload in force. */
  features: string[];
}

export interface FeedConfigChoice {
  config: HomeFeedConfig;
  /** `growthbook`: the feature's value for this user; `built-in-default`: no value in force. */
  source: 'growthbook' | 'built-in-default';
}

/** A payload whose `home-feed-config` values (default, forced, every variation) do not all validate. */
export class InvalidPayloadError extends Error {
  constructor(readonly problems: string[]) {
    super(`GrowthBook payload rejected: ${problems.join('; ')}`);
    this.name = 'InvalidPayloadError';
  }
}

/**
 * GrowthBook for Crest: one `GrowthBookClient` per process, a scoped instance per request. A payload is
 * put in force only when every `home-feed-config` value in it validates, so an invalid edit is rejected
 * with a logged error and the last good payload stays. When GrowthBook cannot be reached at start, the last
 * good payload cached on disk serves, else the built-in default config. Each experiment assignment is
 * logged as an exposure (once per user, experiment and session).
 */
export class Experiments {
  private readonly client: GrowthBookClient;
  private timer: NodeJS.Timeout | null = null;
  private state: ExperimentsStatus = {
    source: 'built-in-default',
    loadedAt: new Date().toISOString(),
    lastError: null,
    features: [],
  };

  private constructor(private readonly options: ExperimentsOptions) {
    const exposures = options.exposures;
    this.client = new GrowthBookClient({
      trackingCallback: (experiment, result, user) => {
        const attributes = user.attributes ?? {};
        const userId = String(attributes['id'] ?? '');
        exposures?.record({
          experiment: experiment.key,
          variation: String(result.key),
          userId,
          sessionId: String(attributes['sessionId'] ?? userId),
        });
      },
    });
  }

  static async start(options: ExperimentsOptions): Promise<Experiments> {
    if (options.apiHost && !options.clientKey)
      throw new Error('GrowthBook apiHost is set without a clientKey');
    const experiments = new Experiments(options);
    await experiments.load();
    if (options.apiHost) {
      experiments.timer = setInterval(() => void experiments.refresh(), options.refreshIntervalMs ?? 30_000);
      experiments.timer.unref();
    }
    return experiments;
  }

  status(): ExperimentsStatus {
    return { ...this.state, features: [...this.state.features] };
  }

  /** The targeting of one request. */
  forRequest(attributes: FeedAttributes): RequestExperiments {
    const scoped = this.client.createScopedInstance({
      attributes: {
        id: attributes.userId,
        sessionId: attributes.sessionId ?? attributes.userId,
        country: attributes.country,
        platform: attributes.platform,
        appVersion: attributes.appVersion,
        newUser: attributes.newUser,
      },
    });
    return new RequestExperiments(scoped, this.options.logger);
  }

  /** Fetches the payload from GrowthBook again; true when a new payload is in force. */
  async refresh(): Promise<boolean> {
    try {
      const payload = await this.fetchPayload();
      await this.apply(payload, 'growthbook');
      await this.saveCache(payload);
      return true;
    } catch (error) {
      this.state.lastError = (error as Error).message;
      this.options.logger?.error(
        `GrowthBook refresh failed, keeping the ${this.state.source} payload: ${this.state.lastError}`,
      );
      return false;
    }
  }

  /** Puts a payload in force if it validates (tests and tools; a running service refreshes itself). */
  async setPayload(payload: FeatureApiResponse, source: PayloadSource = 'file'): Promise<void> {
    await this.apply(payload, source);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.client.destroy();
  }

  private async load(): Promise<void> {
    const { payloadFile, apiHost } = this.options;
    if (payloadFile) {
      try {
        await this.apply(JSON.parse(await readFile(payloadFile, 'utf8')) as FeatureApiResponse, 'file');
      } catch (error) {
        this.state.lastError = `${payloadFile}: ${(error as Error).message}`;
        this.options.logger?.error(
          `GrowthBook payload file not used, serving the built-in default: ${this.state.lastError}`,
        );
      }
      return;
    }
    if (!apiHost) return;
    if (await this.refresh()) return;
    const cached = await this.loadCache();
    if (cached)
      this.options.logger?.log(`GrowthBook unreachable at start: serving the payload cached on disk`);
  }

  private async apply(payload: FeatureApiResponse, source: PayloadSource): Promise<void> {
    const problems = payloadProblems(payload);
    if (problems.length > 0) throw new InvalidPayloadError(problems);
    await this.client.setPayload(payload);
    this.state = {
      source,
      loadedAt: new Date().toISOString(),
      lastError: null,
      features: Object.keys(payload.features ?? {}).sort(),
    };
  }

  private async fetchPayload(): Promise<FeatureApiResponse> {
    const { apiHost, clientKey, fetchTimeoutMs } = this.options;
    const url = `${apiHost!.replace(/\/$/, '')}/api/features/${encodeURIComponent(clientKey!)}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(fetchTimeoutMs ?? 5_000) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return (await response.json()) as FeatureApiResponse;
  }

  private async saveCache(payload: FeatureApiResponse): Promise<void> {
    const file = this.options.cacheFile;
    if (!file) return;
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, JSON.stringify(payload));
      await rename(`${file}.tmp`, file);
    } catch (error) {
      this.options.logger?.error(
        `could not cache the GrowthBook payload in ${file}: ${(error as Error).message}`,
      );
    }
  }

  private async loadCache(): Promise<boolean> {
    const file = this.options.cacheFile;
    if (!file) return false;
    try {
      const lastError = this.state.lastError;
      await this.apply(JSON.parse(await readFile(file, 'utf8')) as FeatureApiResponse, 'disk-cache');
      this.state.lastError = lastError;
      return true;
    } catch {
      return false;
    }
  }
}

/** One request's view: the feed config for this user, and any other feature. */
export class RequestExperiments {
  constructor(
    private readonly scoped: UserScopedGrowthBook,
    private readonly logger?: ExperimentsLogger,
  ) {}

  feedConfig(): FeedConfigChoice {
    const value = this.scoped.getFeatureValue<unknown>(HOME_FEED_CONFIG_FEATURE, null);
    if (value === null) return { config: DEFAULT_HOME_FEED_CONFIG, source: 'built-in-default' };
    // Payloads are validated before they are put in force; this guards against a value that slipped by.
    const problems = homeFeedConfigProblems(value);
    if (problems.length > 0) {
      this.logger?.error(`${HOME_FEED_CONFIG_FEATURE} value rejected: ${problems.join('; ')}`);
      return { config: DEFAULT_HOME_FEED_CONFIG, source: 'built-in-default' };
    }
    return { config: value as HomeFeedConfig, source: 'growthbook' };
  }

  isOn(feature: string): boolean {
    return this.scoped.isOn(feature);
  }

  featureValue<T>(feature: string, fallback: T): T {
    return this.scoped.getFeatureValue(feature, fallback as never) as T;
  }
}

/** Problems of every `home-feed-config` value a payload can serve: default, forced values, variations. */
export function payloadProblems(payload: FeatureApiResponse): string[] {
  if (typeof payload !== 'object' || payload === null || typeof payload.features !== 'object')
    return ['payload has no "features" object'];
  const feature = payload.features[HOME_FEED_CONFIG_FEATURE];
  if (!feature) return [];
  const values: Array<[string, unknown]> = [];
  if (feature.defaultValue !== undefined) values.push(['defaultValue', feature.defaultValue]);
  (feature.rules ?? []).forEach((rule, r) => {
    if ('force' in rule && rule.force !== undefined) values.push([`rules[${r}].force`, rule.force]);
    (rule.variations ?? []).forEach((variation, v) =>
      values.push([`rules[${r}].variations[${v}]`, variation]),
    );
  });
  return values.flatMap(([where, value]) =>
    homeFeedConfigProblems(value).map((problem) => `${HOME_FEED_CONFIG_FEATURE} ${where}: ${problem}`),
  );
}
