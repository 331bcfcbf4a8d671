import fastifyCookie from '@fastify/cookie';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

import { CSRF_HEADER, SESSION_COOKIE } from './auth/admin-auth.guard';
import { AdminOpenApi } from './openapi.controller';

/**
 * What admin's routes rely on, before they are registered: the cookie plugin (sessions are cookies), and
 * the OpenAPI document built from the controllers, served at GET /api/openapi.json behind sign-in.
 */
export async function configureAdminHttp(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifyCookie);
  const description =
    'Every route but /health needs a viewer or operator: `Authorization: Bearer <token>`, or the session ' +
    `cookie from POST /api/login, whose state-changing requests carry its CSRF token in \`${CSRF_HEADER}\`.`;
  app.get(AdminOpenApi).document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Crest admin API')
      .setDescription(description)
      .setVersion('1')
      .addBearerAuth()
      .addCookieAuth(SESSION_COOKIE)
      .addSecurityRequirements('bearer')
      .addSecurityRequirements('cookie')
      .build(),
  );
}
