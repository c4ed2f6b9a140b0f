import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { contractDocument, contractHash, operationName } from '../contract';

/** A GraphQL error answer, with the first error's `extensions.code`. */
export class GraphQLRequestError extends Error {
  readonly code: string | undefined;
  readonly codes: string[];
  readonly extensions: Record<string, unknown>;
  constructor(errors: { message: string; extensions?: { code?: string } }[]) {
    super(errors.map((e) => e.message).join('; ') || 'GraphQL error');
    this.name = 'GraphQLRequestError';
    this.extensions = (errors[0]?.extensions as Record<string, unknown> | undefined) ?? {};
    this.codes = errors.map((e) => e.extensions?.code ?? '').filter(Boolean);
    this.code = this.codes[0];
  }
}

interface Answer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function send<T>(body: unknown, token: string | null): Promise<Answer<T>> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  // A timeout, so that a tab holding the refresh lock never holds it for ever.
  const res = await fetch('/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    credentials: 'same-origin',
    signal: AbortSignal.timeout(15_000),
  });
  let answer: Answer<T>;
  try {
    answer = (await res.json()) as Answer<T>;
  } catch {
    throw new Error(`HTTP ${res.status}`);
  }
  return answer;
}

/**
 * Runs one contract operation outside Apollo (the auth mutations, which must not go
 * through the auth link): the manifest hash first, the exact text if the server does
 * not know the hash.
 */
export async function runOperation<T, V>(
  doc: TypedDocumentNode<T, V>,
  variables: V,
  token: string | null = null,
): Promise<T> {
  const name = operationName(doc);
  const sha256Hash = contractHash(doc);
  const base = { operationName: name, variables, extensions: { persistedQuery: { version: 1, sha256Hash } } };
  let answer = await send<T>(base, token);
  if (answer.errors?.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND' || e.message === 'PersistedQueryNotFound')) {
    answer = await send<T>({ ...base, query: contractDocument(name) }, token);
  }
  if (answer.errors?.length) throw new GraphQLRequestError(answer.errors);
  if (!answer.data) throw new Error('empty answer');
  return answer.data;
}
