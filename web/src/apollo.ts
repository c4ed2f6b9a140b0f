import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, Observable, split, type FetchResult } from '@apollo/client';
import { setContext } from '@apollo/client/link/context';
import { onError } from '@apollo/client/link/error';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { getMainDefinition } from '@apollo/client/utilities';
import { accessRejected, freshAccessToken, onSignedOut } from './auth';
import { getAccessToken } from './auth/tokens';
import { contractDocument, contractHash, operationName } from './contract';
import { restartSocket, wsClient } from './realtime/ws';

/**
 * Sends only the manifest hash of each operation (frontend-contract/manifest.json);
 * an operation outside the contract throws before anything is sent.
 */
const persisted = createPersistedQueryLink({
  generateHash: (doc) => contractHash(doc),
  useGETForHashedQueries: false,
});

/** If the server does not know a hash it asks for the text: send the contract's exact text (its hash matches). */
const http = new HttpLink({
  uri: '/graphql',
  credentials: 'same-origin',
  print: (ast, originalPrint) => {
    if (ast.kind === 'Document') {
      try {
        return contractDocument(operationName(ast));
      } catch {
        return originalPrint(ast);
      }
    }
    return originalPrint(ast);
  },
});

/** `Authorization: Bearer <access>` from memory, refreshed first when about to expire. */
const auth = setContext(async (_op, { headers }) => {
  const token = await freshAccessToken();
  return token ? { headers: { ...headers, Authorization: `Bearer ${token}` } } : { headers };
});

/**
 * `UNAUTHENTICATED` answers: an expired access token (a tab asleep past its refresh)
 * is refreshed and the request retried once; a revoked one ends the session.
 */
const retryUnauthenticated = onError(({ graphQLErrors, operation, forward }) => {
  const denied = graphQLErrors?.find((e) => e.extensions?.code === 'UNAUTHENTICATED');
  if (!denied || operation.getContext().retriedAuth) return;
  const headers = operation.getContext().headers as Record<string, string> | undefined;
  const sent = headers?.Authorization?.replace(/^Bearer /, '') ?? null;
  const reason = denied.extensions?.reason as string | undefined;
  const newer = getAccessToken();
  const retry = reason === 'TOKEN_EXPIRED' || (newer !== null && newer !== sent);
  if (!retry) {
    void accessRejected(reason, sent);
    return;
  }
  return new Observable<FetchResult>((observer) => {
    let inner: { unsubscribe(): void } | undefined;
    accessRejected(reason, sent)
      .then(async (ok) => {
        const token = ok ? await freshAccessToken() : null;
        const next: Record<string, string> = { ...headers };
        if (token) next.Authorization = `Bearer ${token}`;
        else delete next.Authorization;
        operation.setContext({ retriedAuth: true, headers: next });
        inner = forward(operation).subscribe(observer);
      })
      .catch((e: unknown) => observer.error(e));
    return () => inner?.unsubscribe();
  });
});

/** Subscriptions over graphql-ws, with the document text exactly as in its .graphql file. */
const ws = new ApolloLink(
  (operation) =>
    new Observable<FetchResult>((observer) =>
      wsClient.subscribe<Record<string, unknown>>(
        {
          query: contractDocument(operation.operationName),
          operationName: operation.operationName,
          variables: operation.variables,
        },
        {
          next: (value) => observer.next(value as FetchResult),
          error: (err) => observer.error(err instanceof Error ? err : new Error(closeReason(err))),
          complete: () => observer.complete(),
        },
      ),
    ),
);

function closeReason(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err) {
    const e = err as { code: number; reason?: string };
    return `socket closed ${e.code}${e.reason ? `: ${e.reason}` : ''}`;
  }
  if (Array.isArray(err)) return err.map((e: { message?: string }) => e.message).join('; ');
  return String(err);
}

const isSubscription = ({ query }: { query: Parameters<typeof getMainDefinition>[0] }) => {
  const def = getMainDefinition(query);
  return def.kind === 'OperationDefinition' && def.operation === 'subscription';
};

export const client = new ApolloClient({
  link: split(isSubscription, ws, ApolloLink.from([auth, retryUnauthenticated, persisted, http])),
  cache: new InMemoryCache(),
});

onSignedOut(() => {
  restartSocket();
  void client.clearStore();
});
