import { Transform, Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

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
