import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsISO4217CurrencyCode,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  type ValidationArguments,
  type ValidationOptions,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';

import {
  CATEGORY_ID_PATTERN,
  EARLIEST_EVENT_TIME,
  MAX_AMOUNT_MINOR,
  MAX_CATEGORIES_PER_ITEM,
  MAX_CATEGORY_ID_LENGTH,
} from './limits.constants';

// RFC 3339 date-time with an explicit offset: an event time without a zone is ambiguous.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp, rejecting calendar-impossible dates (Feb 30) that Date.parse would roll over. */
export function parseEventTime(value: string): number | undefined {
  const match = RFC3339.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59)
    return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  const millis = Date.parse(value);
  return Number.isNaN(millis) ? undefined : millis;
}

/** Name of the rule reported when an event time is not a valid timestamp or outside the plausible range. */
export const IS_EVENT_TIME = 'isEventTime';

@ValidatorConstraint({ name: IS_EVENT_TIME, async: false })
export class IsEventTimeConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    const millis = parseEventTime(value);
    return millis !== undefined && millis >= EARLIEST_EVENT_TIME;
  }

  defaultMessage(args: ValidationArguments): string {
    const value = args.value;
    if (typeof value !== 'string') return `${args.property} must be an RFC 3339 timestamp string`;
    const millis = parseEventTime(value);
    if (millis === undefined) {
      return `${args.property} must be an RFC 3339 timestamp with a zone, e.g. 2026-11-24T10:00:00.000Z`;
    }
    return `${args.property} must not be before 2000-01-01T00:00:00Z`;
  }
}

/**
 * An RFC 3339 timestamp with zone, a real calendar date, not before 2000. "Not in the future" depends on
 * the consumer's clock, so decodeEvent checks it, not the class.
 */
export function IsEventTime(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: IsEventTimeConstraint,
    });
}

/** A category slug. */
export function IsCategoryId(): PropertyDecorator {
  return (target, propertyName) => {
    IsString()(target, propertyName);
    MaxLength(MAX_CATEGORY_ID_LENGTH)(target, propertyName);
    Matches(CATEGORY_ID_PATTERN, { message: '$property must be a lowercase slug such as "trading-cards"' })(
      target,
      propertyName,
    );
  };
}

/** A non-empty, bounded list of category slugs. */
export function IsCategoryIdList(): PropertyDecorator {
  return (target, propertyName) => {
    IsArray()(target, propertyName);
    ArrayMinSize(1)(target, propertyName);
    ArrayMaxSize(MAX_CATEGORIES_PER_ITEM)(target, propertyName);
    IsString({ each: true })(target, propertyName);
    MaxLength(MAX_CATEGORY_ID_LENGTH, { each: true })(target, propertyName);
    Matches(CATEGORY_ID_PATTERN, {
      each: true,
      message: 'each value in $property must be a lowercase slug such as "trading-cards"',
    })(target, propertyName);
  };
}

/** What a URL field accepts: https only, with the scheme. */
export const URL_RULE = { protocols: ['https'], require_protocol: true };

/** Money as an integer count of the currency's minor unit (cents) plus an ISO 4217 code: no floats. */
export class Money {
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT_MINOR)
  amountMinor!: number;

  @Matches(/^[A-Z]{3}$/, { message: '$property must be three uppercase letters, e.g. USD' })
  @IsISO4217CurrencyCode()
  currency!: string;
}
