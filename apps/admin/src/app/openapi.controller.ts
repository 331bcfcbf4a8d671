import { Controller, Get, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags, type OpenAPIObject } from '@nestjs/swagger';

/** The API's OpenAPI document, built from the controllers at start (see configureAdminHttp). */
@Injectable()
export class AdminOpenApi {
  document: OpenAPIObject | null = null;
}

@ApiTags('meta')
@Controller('api')
export class OpenApiController {
  constructor(private readonly openApi: AdminOpenApi) {}

  /** Behind the same sign-in as the rest: what the API offers is itself for signed-in users. */
  @ApiOperation({ summary: 'This API as an OpenAPI 3 document' })
  @Get('openapi.json')
  document(): OpenAPIObject {
    if (!this.openApi.document)
      throw new ServiceUnavailableException('the OpenAPI document is not built yet');
    return this.openApi.document;
  }
}
