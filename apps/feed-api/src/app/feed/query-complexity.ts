import { type DocumentNode, GraphQLError, type GraphQLSchema } from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { LRUCache } from 'lru-cache';

/**
 * A Mercurius `preExecution` hook refusing operations that cost more than `maximum`. Every field costs 1
 * unless its schema says otherwise (`complexity` on the resolver or field: a homeFeed page multiplies its
 * carousels by `first`, a carousel's items by their page size), so aliases repeating an expensive query add
 * up. Runs per request with the request's variables, which keeps Mercurius's query cache usable. The cost
 * of a document (Mercurius hands the same object for a repeated query) with the same variables is computed
 * once: walking the query was a noticeable share of a homeFeed request.
 */
export function complexityLimit(maximum: number) {
  const estimators = [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })];
  const costs = new WeakMap<DocumentNode, LRUCache<string, number>>();
  return async (
    schema: GraphQLSchema,
    document: DocumentNode,
    _context: unknown,
    variables?: Record<string, unknown>,
  ): Promise<void> => {
    let byVariables = costs.get(document);
    if (!byVariables) costs.set(document, (byVariables = new LRUCache({ max: 256 })));
    const key = JSON.stringify(variables ?? {});
    let complexity = byVariables.get(key);
    if (complexity === undefined) {
      complexity = getComplexity({ schema, query: document, variables: variables ?? {}, estimators });
      byVariables.set(key, complexity);
    }
    if (complexity > maximum)
      throw new GraphQLError(
        `query complexity ${complexity} exceeds the maximum of ${maximum}: ask for fewer carousels or items, or split the query`,
        { extensions: { code: 'QUERY_TOO_COMPLEX', complexity, maximum } },
      );
  };
}
