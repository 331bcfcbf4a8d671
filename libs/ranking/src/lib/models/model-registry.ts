import homeV1 from '../../../models/home@1.json';
import homeClickV1 from '../../../models/home-click@1.json';
import newUserV1 from '../../../models/new-user@1.json';
import { type ModelConfig } from './model-config';
import { RankingModel } from './ranking-model';

/** The models shipped in libs/ranking/models (one JSON file per id and version). */
export const BUILT_IN_MODELS: readonly unknown[] = [homeV1, newUserV1, homeClickV1];

/** No such model or version. */
export class UnknownModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownModelError';
  }
}

/**
 * Models by id and version. Configs are validated when added (ModelConfigError lists every problem), so a
 * bad model never serves. `resolve(id)` is the latest version; `resolve(id, n)` pins one.
 */
export class ModelRegistry {
  private readonly models = new Map<string, Map<number, RankingModel>>();

  constructor(configs: readonly unknown[] = BUILT_IN_MODELS) {
    for (const config of configs) this.add(config);
  }

  add(config: unknown): RankingModel {
    const model = new RankingModel(config as ModelConfig);
    let versions = this.models.get(model.id);
    if (!versions) this.models.set(model.id, (versions = new Map()));
    if (versions.has(model.version))
      throw new Error(`Model ${model.id}@${model.version} is already registered`);
    versions.set(model.version, model);
    return model;
  }

  resolve(id: string, version = 0): RankingModel {
    const versions = this.models.get(id);
    if (!versions)
      throw new UnknownModelError(
        `unknown model "${id}" (known: ${[...this.models.keys()].sort().join(', ')})`,
      );
    if (version === 0) return versions.get(Math.max(...versions.keys()))!;
    const model = versions.get(version);
    if (!model)
      throw new UnknownModelError(
        `model "${id}" has no version ${version} (has: ${[...versions.keys()].sort().join(', ')})`,
      );
    return model;
  }

  list(): Array<{ id: string; versions: number[] }> {
    return [...this.models].map(([id, versions]) => ({
      id,
      versions: [...versions.keys()].sort((a, b) => a - b),
    }));
  }
}
