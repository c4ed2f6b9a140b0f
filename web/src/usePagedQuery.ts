import { NetworkStatus, useQuery, type OperationVariables, type QueryHookOptions, type TypedDocumentNode } from '@apollo/client';

type Connection = { edges: readonly unknown[]; pageInfo: { hasNextPage: boolean; endCursor?: string | null } };
/** The fields of a query's data that are Relay connections. */
type ConnectionField<T> = { [K in keyof T]-?: NonNullable<T[K]> extends Connection ? K : never }[keyof T];
type EdgesOf<C> = C extends { edges: infer E } ? E : never;

/**
 * A query over one Relay connection (`field` of its data), paged forward by
 * `after`: the edges so far, whether there are more, and `loadMore`, which
 * appends the next page's edges to the cached answer. Network status changes
 * are reported unless the options say otherwise.
 */
export function usePagedQuery<TData, TVars extends OperationVariables, K extends ConnectionField<TData>>(
  document: TypedDocumentNode<TData, TVars>,
  field: K,
  options: QueryHookOptions<TData, TVars>,
) {
  const result = useQuery(document, { notifyOnNetworkStatusChange: true, ...options });
  const connection = result.data?.[field] as Connection | null | undefined;
  const pageInfo = connection?.pageInfo;

  const loadMore = () => {
    if (!pageInfo?.endCursor) return;
    void result
      .fetchMore({
        variables: { after: pageInfo.endCursor } as unknown as Partial<TVars>,
        updateQuery: (prev, { fetchMoreResult }) => {
          if (!fetchMoreResult) return prev;
          const before = (prev as Record<K, Connection>)[field];
          const page = (fetchMoreResult as Record<K, Connection>)[field];
          return { ...fetchMoreResult, [field]: { ...page, edges: [...before.edges, ...page.edges] } };
        },
      })
      .catch(() => undefined);
  };

  return {
    ...result,
    edges: (connection?.edges ?? []) as EdgesOf<NonNullable<TData[K]>>,
    pageInfo,
    hasMore: !!pageInfo?.hasNextPage,
    loadingMore: result.networkStatus === NetworkStatus.fetchMore,
    loadMore,
  };
}

