import { type MetadataStorage } from 'class-transformer/types/MetadataStorage';
import { type ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';

import { EXAMPLE_EVENTS } from './event-examples';
import { EVENT_CLASSES } from './event-registry';
import { type EventType } from './event-type.constants';
import { EARLIEST_EVENT_TIME } from './limits.constants';
import { IS_EVENT_TIME } from './validators';

// class-transformer keeps its @Type metadata here (no typed export); the generator follows nested types with it.
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: MetadataStorage;
};

/** A JSON Schema (draft 2020-12) document for one event type and version. */
export type EventJsonSchema = Record<string, unknown>;

type SchemaObject = Record<string, unknown>;

const SCHEMA_ID_BASE = 'https://crest.dev/schemas/events/';

// Rules class-validator-jsonschema cannot infer from our custom and built-in validators.
const additionalConverters = {
  [IS_EVENT_TIME]: {
    type: 'string',
    format: 'date-time',
    description: `RFC 3339 with a zone; not before ${new Date(EARLIEST_EVENT_TIME).toISOString()}`,
  },
  isISO4217CurrencyCode: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code' },
  isUuid: { type: 'string', format: 'uuid' },
  isUrl: { type: 'string', format: 'uri', pattern: '^https://' },
  equals: (meta: ValidationMetadata) => ({ const: meta.constraints[0] }),
} satisfies Record<string, SchemaObject | ((meta: ValidationMetadata) => SchemaObject)>;

/**
 * JSON Schemas for every event type and version, generated from the same classes decodeEvent validates
 * with, so producers in other languages check the same rules. Keyed by `<type>.v<version>`.
 */
export function eventJsonSchemas(): Record<string, EventJsonSchema> {
  const definitions = validationMetadatasToSchemas({
    classTransformerMetadataStorage: defaultMetadataStorage,
    refPointerPrefix: '#/$defs/',
    additionalConverters: additionalConverters as never,
  }) as Record<string, Record<string, unknown>>;

  const out: Record<string, EventJsonSchema> = {};
  for (const [type, versions] of Object.entries(EVENT_CLASSES)) {
    for (const [version, eventClass] of Object.entries(versions)) {
      const name = eventClass.name;
      const defs: Record<string, unknown> = {};
      collectRefs(definitions[name], definitions, defs);
      const key = `${type}.v${version}`;
      out[key] = {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: `${SCHEMA_ID_BASE}${key}.schema.json`,
        title: `${type} v${version}`,
        ...closed(definitions[name]),
        ...(Object.keys(defs).length > 0 ? { $defs: sortKeys(defs) } : {}),
        examples: [EXAMPLE_EVENTS[type as EventType]],
      };
    }
  }
  return out;
}

// decodeEvent rejects unknown fields, so every object schema says so. A class without rules (EmptyPayload)
// has no generated definition: it is the empty object.
function closed(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  return { ...(schema ?? { properties: {} }), type: 'object', additionalProperties: false };
}

function collectRefs(
  node: unknown,
  all: Record<string, Record<string, unknown>>,
  into: Record<string, unknown>,
): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    node.forEach((child) => collectRefs(child, all, into));
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      const name = value.replace('#/$defs/', '');
      if (!(name in into)) {
        into[name] = closed(all[name]);
        collectRefs(all[name], all, into);
      }
    } else {
      collectRefs(value, all, into);
    }
  }
}

function sortKeys(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
