import 'reflect-metadata';

import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Min, MinLength } from 'class-validator';

import { BaseAppConfig } from './base-app.config';
import { ConfigValidationError, loadConfig, parseBoolean } from './load-config';

class ExampleConfig extends BaseAppConfig {
  @Type(() => Number)
  @IsInt({ message: 'PORT must be an integer' })
  PORT = 3000;

  @Transform(({ value }) => parseBoolean(value))
  @IsBoolean({ message: 'SIMULATOR_ENABLED must be true or false' })
  SIMULATOR_ENABLED = true;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE = 100;

  @IsOptional()
  @IsString()
  @MinLength(10, { message: 'API_TOKEN must be long' })
  API_TOKEN?: string;

  @IsOptional()
  @Matches(/^postgres:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;
}

describe('loadConfig', () => {
  it('applies defaults when nothing is set', () => {
    const sut = loadConfig(ExampleConfig, {}, 'example');
    expect({ ...sut }).toEqual({
      HOST: '127.0.0.1',
      PORT: 3000,
      LOG_LEVEL: 'log',
      LOG_FORMAT: 'pretty',
      SIMULATOR_ENABLED: true,
      RATE: 100,
    });
  });

  it('converts strings from the environment', () => {
    const sut = loadConfig(
      ExampleConfig,
      { PORT: '8080', SIMULATOR_ENABLED: 'false', LOG_LEVEL: 'DEBUG' },
      'example',
    );
    expect([sut.PORT, sut.SIMULATOR_ENABLED, sut.LOG_LEVEL]).toEqual([8080, false, 'debug']);
  });

  it('treats an empty value as not set', () => {
    expect(loadConfig(ExampleConfig, { PORT: '' }, 'example').PORT).toBe(3000);
  });

  it('names every bad key at once, and masks secrets', () => {
    let caught: unknown;
    try {
      loadConfig(
        ExampleConfig,
        { PORT: 'eighty', SIMULATOR_ENABLED: 'yes', RATE: '0', API_TOKEN: 'hunter2', LOG_LEVEL: 'loud' },
        'example',
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigValidationError);
    expect((caught as Error).message).toBe(
      [
        'Invalid configuration for example:',
        '  - API_TOKEN: API_TOKEN must be long (got ***)',
        '  - LOG_LEVEL: LOG_LEVEL must be one of: fatal, error, warn, log, debug, verbose (got "loud")',
        '  - PORT: PORT must be an integer (got "eighty")',
        '  - RATE: RATE must not be less than 1 (got "0")',
        '  - SIMULATOR_ENABLED: SIMULATOR_ENABLED must be true or false (got "yes")',
      ].join('\n'),
    );
    expect((caught as Error).message).not.toContain('hunter2');
  });

  it('masks the password of a URL it echoes', () => {
    expect(() =>
      loadConfig(
        ExampleConfig,
        { DATABASE_URL: 'postgres://crest:s3cr3t-pw@db:5432/crest extra' },
        'example',
      ),
    ).toThrow('DATABASE_URL must be a postgres:// URL (got "postgres://crest:***@db:5432/crest extra")');
  });
});
