import { Transform, Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  type ValidationOptions,
} from 'class-validator';

import { splitList } from './load-config';

/** A TCP port from the environment: an integer from 1 to 65535. */
export function IsPort(): PropertyDecorator {
  return (target, property) => {
    Type(() => Number)(target, property);
    IsInt({ message: '$property must be an integer' })(target, property);
    Min(1)(target, property);
    Max(65_535)(target, property);
  };
}

/** An optional comma-separated list of Kafka `host:port` brokers. */
export function IsBrokerList(): PropertyDecorator {
  return (target, property) => {
    IsOptional()(target, property);
    Transform(({ value }) => splitList(value))(target, property);
    IsArray()(target, property);
    ArrayMinSize(1, { message: '$property must name at least one host:port' })(target, property);
    Matches(/^[A-Za-z0-9.-]+:\d{1,5}$/, {
      each: true,
      message: '$property must be a comma-separated list of host:port',
    })(target, property);
  };
}

/**
 * An http(s) URL whose host may lack a TLD (`127.0.0.1`, `elasticsearch`). The message defaults to
 * "<KEY> must be an http(s) URL"; `{ each: true }` checks every item of a list.
 */
export function IsHttpUrl(options: ValidationOptions = {}): PropertyDecorator {
  return IsUrl(
    { require_tld: false, protocols: ['http', 'https'], require_protocol: true },
    { message: '$property must be an http(s) URL', ...options },
  );
}

/** A Kafka consumer group id. */
export function IsConsumerGroupId(): PropertyDecorator {
  return (target, property) => {
    IsString()(target, property);
    Matches(/^[A-Za-z0-9._-]+$/, {
      message: '$property may use letters, digits, dot, dash and underscore',
    })(target, property);
  };
}

/** A `postgres://` (or `postgresql://`) connection URL. */
export function IsPostgresUrl(): PropertyDecorator {
  return Matches(/^postgres(ql)?:\/\/\S+$/, { message: '$property must be a postgres:// URL' });
}

/** A lowercase SQL identifier (a schema name), at most 63 characters as PostgreSQL allows. */
export function IsSqlIdentifier(): PropertyDecorator {
  return (target, property) => {
    IsString()(target, property);
    Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: '$property must be a lowercase SQL identifier' })(
      target,
      property,
    );
  };
}

/** An optional secret (token, key) of at least `minLength` characters. */
export function IsOptionalSecret(minLength: number): PropertyDecorator {
  return (target, property) => {
    IsOptional()(target, property);
    IsString()(target, property);
    MinLength(minLength, { message: `$property must be at least ${minLength} characters` })(target, property);
  };
}

/** A lowercase Elasticsearch index or alias name. */
export function IsIndexName(): PropertyDecorator {
  return (target, property) => {
    IsString()(target, property);
    Matches(/^[a-z0-9._-]+$/, { message: '$property must be a lowercase index name' })(target, property);
  };
}
