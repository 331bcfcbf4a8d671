import { type ValidateFunction } from 'ajv/dist/2020';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

import { EVENT_CLASSES, isKnownEventType, type MarketplaceEvent } from './event-registry';
import { compileFastValidators } from './fast-validation';
import { DEFAULT_MAX_FUTURE_SKEW_MS, MAX_EVENT_BYTES, MAX_EVENT_DEPTH } from './limits.constants';
import { IS_EVENT_TIME, parseEventTime } from './validators';

/** Why a message is not a valid event. Stable strings: they go into DLQ headers and metrics labels. */
export const DecodeErrorCode = {
  Empty: 'empty',
  TooLarge: 'too_large',
  NotUtf8: 'not_utf8',
  NotJson: 'not_json',
  NotAnObject: 'not_an_object',
  TooDeep: 'too_deep',
  MissingType: 'missing_type',
  UnknownType: 'unknown_type',
  InvalidVersion: 'invalid_version',
  UnsupportedVersion: 'unsupported_version',
  ValidationFailed: 'validation_failed',
} as const;
export type DecodeErrorCode = (typeof DecodeErrorCode)[keyof typeof DecodeErrorCode];

/** One failing field: where (dot path, array indexes as numbers), which rule, and a readable message. */
export interface FieldViolation {
  path: string;
  rule: string;
  message: string;
}

export interface DecodeError {
  code: DecodeErrorCode;
  /** One line a human can act on, e.g. `payload.amount.currency: currency must be an ISO4217 currency code`. */
  message: string;
  /** For `validation_failed`: every failing field, sorted by path. */
  violations: FieldViolation[];
  /** The event type when it was readable; helps route and count failures. */
  type?: string;
}

export type DecodeResult = { ok: true; event: MarketplaceEvent } | { ok: false; error: DecodeError };

export interface DecodeOptions {
  /** Largest accepted message in bytes. Default MAX_EVENT_BYTES (64 KiB). */
  maxBytes?: number;
  /** Consumer clock in epoch ms, for the "not in the future" check. Default Date.now(). */
  now?: number;
  /** How far past `now` an occurredAt may be. Default 5 minutes. */
  maxFutureSkewMs?: number;
  /** Validate with class-validator only, skipping the compiled-schema fast path (for the differential test). */
  exhaustive?: boolean;
}

let fastValidators: Map<string, ValidateFunction> | undefined;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function fail(
  code: DecodeErrorCode,
  message: string,
  violations: FieldViolation[] = [],
  type?: string,
): DecodeResult {
  return { ok: false, error: { code, message, violations, ...(type === undefined ? {} : { type }) } };
}

/**
 * Decodes one message into a typed, validated event, or says exactly what is wrong with it.
 * Never throws for bad input: every failure is a `DecodeError` whose `code` names the class of problem
 * and whose `violations` list every failing field with its rule. Unknown fields are rejected.
 */
export function decodeEvent(input: string | Uint8Array, options: DecodeOptions = {}): DecodeResult {
  const maxBytes = options.maxBytes ?? MAX_EVENT_BYTES;

  let text: string;
  if (typeof input === 'string') {
    const bytes = Buffer.byteLength(input, 'utf8');
    if (bytes > maxBytes) return fail('too_large', `event is ${bytes} bytes; the limit is ${maxBytes}`);
    text = input;
  } else {
    if (input.byteLength > maxBytes) {
      return fail('too_large', `event is ${input.byteLength} bytes; the limit is ${maxBytes}`);
    }
    try {
      text = utf8.decode(input);
    } catch {
      return fail('not_utf8', 'event bytes are not valid UTF-8');
    }
  }
  if (text.trim().length === 0) return fail('empty', 'event is empty');

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail('not_json', `event is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    return fail('not_an_object', `event must be a JSON object, got ${kind}`);
  }

  const shapeProblem = checkShape(parsed);
  if (shapeProblem) return shapeProblem;

  const raw = parsed as Record<string, unknown>;
  if (!('type' in raw)) return fail('missing_type', 'event has no "type" field');
  if (typeof raw['type'] !== 'string') return fail('missing_type', '"type" must be a string');
  const type = raw['type'];
  if (!isKnownEventType(type)) return fail('unknown_type', `unknown event type "${truncate(type)}"`);

  const versions = EVENT_CLASSES[type];
  const version = raw['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return fail('invalid_version', '"version" must be a positive integer', [], type);
  }
  const eventClass = versions[version];
  if (!eventClass) {
    const supported = Object.keys(versions).join(', ');
    return fail(
      'unsupported_version',
      `${type} version ${version} is not supported (supported: ${supported})`,
      [],
      type,
    );
  }

  // Fast path: an event the compiled schema accepts is valid (see compileFastValidators); only the clock
  // check is left. Everything else takes the class-validator walk, which decides and explains.
  if (!options.exhaustive) {
    const fast = (fastValidators ??= compileFastValidators()).get(`${type}.v${version}`);
    if (fast?.(raw) && !checkNotInFuture(raw['occurredAt'], options)) {
      return { ok: true, event: raw as unknown as MarketplaceEvent };
    }
  }

  const event = plainToInstance(eventClass, raw);
  const violations = flattenErrors(
    validateSync(event, {
      whitelist: true,
      forbidNonWhitelisted: true,
      // true would reject EmptyPayload (a class without rules); whitelisting still rejects its fields.
      forbidUnknownValues: false,
      validationError: { target: false, value: false },
    }),
  );
  const futureViolation = checkNotInFuture(raw['occurredAt'], options);
  if (futureViolation) violations.push(futureViolation);
  if (violations.length > 0) {
    violations.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.rule.localeCompare(b.rule)));
    const summary = violations
      .map((v) => (v.message.startsWith(v.path) ? v.message : `${v.path}: ${v.message}`))
      .join('; ');
    return fail('validation_failed', `${type} v${version} is invalid: ${summary}`, violations, type);
  }
  return { ok: true, event: event as unknown as MarketplaceEvent };
}

/** Depth and key checks before class-transformer walks the object: it recurses, and it assigns keys. */
function checkShape(root: object): DecodeResult | undefined {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: root, depth: 1, path: '' }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, depth, path } = next;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_EVENT_DEPTH) {
      return fail('too_deep', `event nests deeper than ${MAX_EVENT_DEPTH} levels (at ${path || 'the root'})`);
    }
    for (const key of Object.keys(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) {
        return fail('validation_failed', `${childPath}: property ${key} is not allowed`, [
          { path: childPath, rule: 'forbiddenKey', message: `property ${key} is not allowed` },
        ]);
      }
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, path: childPath });
    }
  }
  return undefined;
}

function checkNotInFuture(occurredAt: unknown, options: DecodeOptions): FieldViolation | undefined {
  if (typeof occurredAt !== 'string') return undefined;
  const millis = parseEventTime(occurredAt);
  if (millis === undefined) return undefined;
  const latest = (options.now ?? Date.now()) + (options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS);
  if (millis <= latest) return undefined;
  return {
    path: 'occurredAt',
    rule: IS_EVENT_TIME,
    message: `occurredAt must not be in the future (more than ${Math.round((options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS) / 1000)} s ahead of the consumer clock)`,
  };
}

function flattenErrors(errors: ValidationError[], parent = ''): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    for (const [rule, message] of Object.entries(error.constraints ?? {})) {
      out.push({ path, rule, message: rewritePropertyName(message, error.property, path) });
    }
    if (error.children?.length) out.push(...flattenErrors(error.children, path));
  }
  return out;
}

// class-validator names only the leaf property ("currency must be ..."); the full path reads better in a DLQ.
function rewritePropertyName(message: string, property: string, path: string): string {
  if (message.startsWith(`${property} `)) return `${path}${message.slice(property.length)}`;
  const eachPrefix = `each value in ${property} `;
  if (message.startsWith(eachPrefix)) return `each value in ${path} ${message.slice(eachPrefix.length)}`;
  return message;
}

function truncate(value: string, max = 64): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
