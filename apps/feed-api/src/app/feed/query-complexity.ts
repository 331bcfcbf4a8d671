import { type DocumentNode, GraphQLError, type GraphQLSchema } from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';

/**
 * A Mercurius `preExecution` hook refusing operations that cost more than `maximum`. Every field costs 1
 * unless its schema says otherwise (`complexity` on the resolver or field: a homeFeed page multiplies its
 * carousels by `first`, a carousel's items by their page size), so aliases repeating an expensive query add
 * up. Runs per request with the request's variables, which keeps Mercurius's query cache usable.
 */
export function complexityLimit(maximum: number) {
  const estimators = [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })];
  return async (
    schema: GraphQLSchema,
    document: DocumentNode,
    _context: unknown,
    variables?: Record<string, unknown>,
  ): Promise<void> => {
    const complexity = getComplexity({ schema, query: document, variables: variables ?? {}, estimators });
    if (complexity > maximum)
      throw new GraphQLError(
        `query complexity ${complexity} exceeds the maximum of ${maximum}: ask for fewer carousels or items, or split the query`,
        { extensions: { code: 'QUERY_TOO_COMPLEX', complexity, maximum } },
      );
  };
}
