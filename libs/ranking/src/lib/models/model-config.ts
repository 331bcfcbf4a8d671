import Ajv from 'ajv';

import { type TransformSpec } from '../features/transforms';

/** A model as JSON config: `models/<id>@<version>.json`. */
export interface ModelConfig {
  id: string;
  version: number;
  kind: 'linear' | 'logistic';
  description?: string;
  bias: number;
  /** Feature name (from the catalogue) -> weight and transforms applied before weighting. */
  features: Record<string, { weight: number; transforms?: TransformSpec[] }>;
  /** Caps per carousel; 0 or absent = no cap. */
  diversity?: { maxPerSeller?: number; maxPerCategory?: number };
}

const transform = {
  oneOf: [
    { const: 'log1p' },
    {
      type: 'object',
      required: ['clip'],
      additionalProperties: false,
      properties: { clip: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 } },
    },
    {
      type: 'object',
      required: ['normalize'],
      additionalProperties: false,
      properties: {
        normalize: {
          type: 'object',
          required: ['mean', 'std'],
          additionalProperties: false,
          properties: { mean: { type: 'number' }, std: { type: 'number' } },
        },
      },
    },
    {
      type: 'object',
      required: ['scale'],
      additionalProperties: false,
      properties: { scale: { type: 'number' } },
    },
  ],
};

export const MODEL_CONFIG_SCHEMA = {
  type: 'object',
  required: ['id', 'version', 'kind', 'bias', 'features'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' },
    version: { type: 'integer', minimum: 1 },
    kind: { enum: ['linear', 'logistic'] },
    description: { type: 'string' },
    bias: { type: 'number' },
    features: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {
        type: 'object',
        required: ['weight'],
        additionalProperties: false,
        properties: { weight: { type: 'number' }, transforms: { type: 'array', items: transform } },
      },
    },
    diversity: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxPerSeller: { type: 'integer', minimum: 0 },
        maxPerCategory: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile(MODEL_CONFIG_SCHEMA);

/** Schema problems of a parsed config, as `path message` lines (empty when it is valid). */
export function modelConfigProblems(config: unknown): string[] {
  if (validate(config)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}
