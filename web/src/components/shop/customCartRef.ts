import type { CustomCartRefInput } from '../../gql/graphql';

/**
 * `/carts/:key` takes a custom cart's id (a global id, base64url of
 * `CustomCart:<n>`) or its share slug; the ids are recognised by decoding.
 */
export function customCartRef(key: string): CustomCartRefInput {
  try {
    const padded = key.replace(/-/g, '+').replace(/_/g, '/');
    const text = atob(padded + '='.repeat((4 - (padded.length % 4)) % 4));
    if (/^CustomCart:\d+$/.test(text)) return { id: key };
  } catch {
    /* not base64: a slug */
  }
  return { shareSlug: key };
}

/** The address another browser opens to see a shared custom cart. */
export function shareUrl(slug: string): string {
  return `${window.location.origin}/carts/${encodeURIComponent(slug)}`;
}
