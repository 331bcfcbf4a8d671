import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { isISO4217CurrencyCode, isURL, isUUID } from 'class-validator';

import { eventJsonSchemas } from './json-schema';
import { IsEventTimeConstraint, URL_RULE } from './validators';

const ISO_4217_DESCRIPTION = 'ISO 4217 currency code';

/**
 * Compiled JSON Schema validators, one per `<type>.v<version>`, for decodeEvent's fast path: a plain object
 * that passes one needs no class-validator walk. The schemas are the generated ones (the same classes), and
 * the formats call class-validator's own functions, so what passes here passes there; the differential
 * spec checks that over every simulated event and every malformed one. Anything that fails here goes the
 * slow way, which decides and explains.
 */
export function compileFastValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv2020({ strict: false, allErrors: false, unicodeRegExp: true });
  const eventTime = new IsEventTimeConstraint();
  ajv.addFormat('uuid', (value: string) => isUUID(value));
  ajv.addFormat('uri', (value: string) => isURL(value, URL_RULE));
  ajv.addFormat('date-time', (value: string) => eventTime.validate(value));
  ajv.addFormat('iso4217', (value: string) => isISO4217CurrencyCode(value));
  const validators = new Map<string, ValidateFunction>();
  for (const [key, schema] of Object.entries(eventJsonSchemas())) {
    const { $id: _id, examples: _examples, ...rules } = schema;
    validators.set(key, ajv.compile(withCurrencyFormat(rules)));
  }
  return validators;
}

// The published schema can only say "three capitals"; the fast path must know the actual ISO 4217 list.
function withCurrencyFormat(node: unknown): Record<string, unknown> {
  if (node === null || typeof node !== 'object') return node as Record<string, unknown>;
  if (Array.isArray(node)) return node.map(withCurrencyFormat) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = withCurrencyFormat(value);
  if (out['description'] === ISO_4217_DESCRIPTION) out['format'] = 'iso4217';
  return out;
}
