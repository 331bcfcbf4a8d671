import { Catch, Logger } from '@nestjs/common';
import { type GqlExceptionFilter } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';

/**
 * A GraphQLError a resolver throws is a refused request (bad cursor, page size out of range): the client
 * gets it in `errors`. Nest's default handler logged each one at ERROR with a stack, which buried real
 * errors under client mistakes; they go to debug. Anything else still reaches Nest's handler and is logged.
 */
@Catch(GraphQLError)
export class ClientErrorsFilter implements GqlExceptionFilter {
  private readonly logger = new Logger('GraphQL');

  catch(error: GraphQLError): GraphQLError {
    this.logger.debug(`refused: ${error.message}`);
    return error;
  }
}
