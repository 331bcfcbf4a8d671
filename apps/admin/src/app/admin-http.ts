import fastifyCookie from '@fastify/cookie';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';

/** Fastify plugins admin's routes rely on (sessions are cookies); registered before the routes. */
export async function configureAdminHttp(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifyCookie);
}
