import 'reflect-metadata';

import { type DynamicModule } from '@nestjs/common';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

import { httpAdapter } from './lib/bootstrap';

export { HTTP_BODY_LIMIT_BYTES } from './lib/bootstrap';

/**
 * Boots an app's root module on Fastify, as main.ts does but without listening; use `app.inject`.
 * `configure` runs before init, as bootstrapApp's `beforeListen` does (Fastify plugins such as a rate limit
 * must be registered before the routes).
 */
export async function createTestApp(
  rootModule: DynamicModule,
  configure?: (app: NestFastifyApplication) => Promise<void>,
): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [rootModule] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(httpAdapter());
  app.enableShutdownHooks();
  await configure?.(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
