import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import {
  type FeatureApiResponse,
  type FeatureResult,
  GrowthBookClient,
  type TrackingCallback,
  type UserScopedGrowthBook,
} from '@growthbook/growthbook';

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

/** How one request is evaluated, beyond its attributes. */
export interface RequestOptions {
  /**
   * Experiment key -> variation index to serve whatever the targeting says (GrowthBook's
   * `forcedVariations`): for explain and QA tools. A forced variation is never logged as an exposure.
   */
  forcedVariations?: Record<string, number>;
  /** Log this request's experiment assignments as exposures. Default true; explain requests say false. */
  trackExposures?: boolean;
}

/** An experiment that decided a feature value in this request. */
export interface ExperimentAssignment {
  /** The experiment (tracking) key. */
  experiment: string;
  /** The variation's key (its meta key, else its index as a string). */
  variation: string;
  variationIndex: number;
  /** False when the user was not in it (e.g. a forced index the experiment does not have). */
  inExperiment: boolean;
  /** True when the variation was forced (`forcedVariations`), not assigned by hashing. */
  forced: boolean;
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

/** One rule of a feature, as GrowthBook evaluates it in order (the first that applies serves). */
export interface FeatureRuleSnapshot {
  id?: string;
  /** `force`: a fixed value (for those matching the condition); `rollout`: a fixed value for a share of
   * users (`coverage`); `experiment`: variations split by `hashAttribute`. */
  kind: 'force' | 'experiment' | 'rollout';
  /** GrowthBook targeting condition (a MongoDB-style query on the attributes). */
  condition?: Record<string, unknown>;
  /** Share (0-1) of matching users included. */
  coverage?: number;
  hashAttribute?: string;
  /** Experiments only: the tracking key (`forcedVariations` and exposures use it). */
  experimentKey?: string;
  name?: string;
  variations?: Array<{
    index: number;
    key: string;
    name: string | null;
    /** Share (0-1) of included users. */
    weight: number;
    value: unknown;
  }>;
  /** `force` and `rollout`: the value served. */
  force?: unknown;
}

export interface FeatureSnapshot {
  key: string;
  defaultValue: unknown;
  rules: FeatureRuleSnapshot[];
}

/** What is in force, for operators: where it came from, every feature's rules, the feed config's health. */
export interface ExperimentsSnapshot {
  status: ExperimentsStatus;
  /** The features of the payload in force, by key; empty when none is (the built-in default serves). */
  features: FeatureSnapshot[];
  homeFeedConfig: {
    /** `growthbook`: the payload in force has `home-feed-config`; else the built-in default serves. */
    source: FeedConfigChoice['source'];
    /** `payloadProblems` of the payload in force: empty when valid (an invalid one is never put in force). */
    problems: string[];
    /** Why the last payload offered was refused or could not be loaded (`status.lastError`). */
    lastRejection: string | null;
  };
}

/** `GET /internal/experiments` on feed-api: the snapshot, and where the payloads come from (never the key). */
export interface ExperimentsOverview extends ExperimentsSnapshot {
  growthbook: {
    /** GrowthBook's API host when features are fetched from it. */
    apiHost: string | null;
    /** The payload file when features come from one (embedded mode). */
    payloadFile: string | null;
  };
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
 * logged as an exposure (once per user, experiment and session), unless the request says not to.
 */
export class Experiments {
  private readonly client: GrowthBookClient;
  /** One function for every request (a request passes it in its user context, or not): no closure each. */
  private readonly recordExposure: TrackingCallback;
  private timer: NodeJS.Timeout | null = null;
  private payload: FeatureApiResponse | null = null;
  private state: ExperimentsStatus = {
    source: 'built-in-default',
    loadedAt: new Date().toISOString(),
    lastError: null,
    features: [],
  };

  private constructor(private readonly options: ExperimentsOptions) {
    const exposures = options.exposures;
    this.recordExposure = (experiment, result, user) => {
      const attributes = user?.attributes ?? {};
      const userId = String(attributes['id'] ?? '');
      exposures?.record({
        experiment: experiment.key,
        variation: String(result.key),
        userId,
        sessionId: String(attributes['sessionId'] ?? userId),
      });
    };
    // No global trackingCallback: GrowthBook fires global and per-request callbacks both, and a request
    // that must not log exposures (explain) leaves its own out.
    this.client = new GrowthBookClient({});
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

  /** What is in force: the status, every feature's rules and variations, the feed config's health. */
  snapshot(): ExperimentsSnapshot {
    const features = Object.entries(this.payload?.features ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, feature]) => ({
        key,
        defaultValue: feature.defaultValue ?? null,
        rules: (feature.rules ?? []).map((rule) => ruleSnapshot(key, rule)),
      }));
    const homeFeed = this.payload?.features?.[HOME_FEED_CONFIG_FEATURE];
    return {
      status: this.status(),
      features,
      homeFeedConfig: {
        source: homeFeed ? 'growthbook' : 'built-in-default',
        problems: this.payload ? payloadProblems(this.payload) : [],
        lastRejection: this.state.lastError,
      },
    };
  }

  /** The targeting of one request. */
  forRequest(attributes: FeedAttributes, options: RequestOptions = {}): RequestExperiments {
    const scoped = this.client.createScopedInstance({
      attributes: {
        id: attributes.userId,
        sessionId: attributes.sessionId ?? attributes.userId,
        country: attributes.country,
        platform: attributes.platform,
        appVersion: attributes.appVersion,
        newUser: attributes.newUser,
      },
      forcedVariations: options.forcedVariations,
      trackingCallback: options.trackExposures === false ? undefined : this.recordExposure,
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
    this.payload = payload;
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
    // The client key stays out of the message: it is logged and shown on the admin console.
    if (!response.ok)
      throw new Error(`${apiHost!.replace(/\/$/, '')}/api/features/<client key> answered ${response.status}`);
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
  /** Features an experiment decided in this request; allocated on the first (most requests have few). */
  private decided: FeatureResult[] | undefined;

  constructor(
    private readonly scoped: UserScopedGrowthBook,
    private readonly logger?: ExperimentsLogger,
  ) {}

  feedConfig(): FeedConfigChoice {
    const value = this.evaluate(HOME_FEED_CONFIG_FEATURE).value as unknown;
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
    return this.evaluate(feature).on;
  }

  featureValue<T>(feature: string, fallback: T): T {
    const value = this.evaluate(feature).value as T | null;
    return value === null ? fallback : value;
  }

  /** The experiments that decided a feature evaluated so far in this request, in evaluation order. */
  assignments(): ExperimentAssignment[] {
    const seen = new Set<string>();
    const assignments: ExperimentAssignment[] = [];
    for (const { experiment, experimentResult: result } of this.decided ?? []) {
      if (!experiment || !result || seen.has(experiment.key)) continue;
      seen.add(experiment.key);
      assignments.push({
        experiment: experiment.key,
        variation: String(result.key),
        variationIndex: result.variationId,
        inExperiment: result.inExperiment,
        forced: !result.hashUsed,
      });
    }
    return assignments;
  }

  private evaluate(feature: string): FeatureResult {
    const result = this.scoped.evalFeature(feature);
    if (result.experimentResult) (this.decided ??= []).push(result);
    return result;
  }
}

function ruleSnapshot(
  featureKey: string,
  rule: NonNullable<NonNullable<FeatureApiResponse['features']>[string]['rules']>[number],
): FeatureRuleSnapshot {
  const snapshot: FeatureRuleSnapshot = {
    kind: 'force' in rule ? (rule.coverage === undefined ? 'force' : 'rollout') : 'experiment',
  };
  if (rule.id) snapshot.id = rule.id;
  if (rule.condition) snapshot.condition = rule.condition as Record<string, unknown>;
  if (rule.coverage !== undefined) snapshot.coverage = rule.coverage;
  if ('force' in rule) {
    snapshot.force = rule.force;
    if (rule.hashAttribute) snapshot.hashAttribute = rule.hashAttribute;
    return snapshot;
  }
  const variations = rule.variations ?? [];
  snapshot.hashAttribute = rule.hashAttribute ?? 'id';
  snapshot.experimentKey = rule.key ?? featureKey;
  if (rule.name) snapshot.name = rule.name;
  snapshot.variations = variations.map((value, index) => ({
    index,
    key: rule.meta?.[index]?.key ?? String(index),
    name: rule.meta?.[index]?.name ?? null,
    weight: rule.weights?.[index] ?? 1 / variations.length,
    value,
  }));
  return snapshot;
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
