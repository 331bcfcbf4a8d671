import { ConsoleLogger, type INestApplication, type LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

import { type BaseAppConfig, LOG_LEVELS } from './base-app.config';
import { ConfigValidationError } from './load-config';

/** Largest request body any app accepts; a bigger one is answered 413 before it is read further. */
export const HTTP_BODY_LIMIT_BYTES = 1024 * 1024;

/** The Fastify adapter every app runs on (and tests boot on), with the body limit. */
export function httpAdapter(): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: HTTP_BODY_LIMIT_BYTES });
}

export interface BootstrapOptions<C extends BaseAppConfig> {
  name: string;
  /** Builds the root module from the validated config, so modules get options, never `process.env`. */
  module: (config: C) => unknown;
  loadConfig: () => C;
  /** Runs after the app is created and before it listens (e.g. to connect a gRPC microservice). */
  beforeListen?: (app: NestFastifyApplication, config: C) => Promise<void>;
}

/** Log levels at and above the configured one (Nest wants the full list). */
export function logLevelsFrom(level: BaseAppConfig['LOG_LEVEL']): NestLogLevel[] {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1) as NestLogLevel[];
}

/**
 * Starts a Crest app on Fastify: validates config first (an invalid config prints every bad key and exits
 * with code 78, EX_CONFIG), enables graceful shutdown on SIGTERM/SIGINT, and logs where it listens.
 */
export async function bootstrapApp<C extends BaseAppConfig>(
  options: BootstrapOptions<C>,
): Promise<INestApplication> {
  let config: C;
  try {
    config = options.loadConfig();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const logger = new ConsoleLogger(options.name, {
    json: config.LOG_FORMAT === 'json',
    logLevels: logLevelsFrom(config.LOG_LEVEL),
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    options.module(config) as never,
    httpAdapter(),
    { logger },
  );
  app.enableShutdownHooks();
  await options.beforeListen?.(app, config);
  await app.listen(config.PORT, config.HOST);
  logger.log(`${options.name} listening on http://${config.HOST}:${config.PORT} (health: /health)`);
  return app;
}
