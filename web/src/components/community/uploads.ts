import type { ApolloClient } from '@apollo/client';
import { CommunityConfirmUploadDocument, CommunityUploadUrlDocument } from '../../gql/graphql';

/** The image types the server accepts (judged again from the bytes). */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
/** `VITRINE_UPLOAD_MAX_BYTES`' default (10 MiB). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

export class UploadError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

/**
 * The direct-upload flow (OPS-4): `createUploadUrl`, a PUT of the file to the
 * URL with exactly the headers given, then `confirmUpload`. Answers the
 * upload id, which inputs take as `imageUploadIds` / `sourceUploadId`.
 */
export async function uploadImage(client: ApolloClient<unknown>, file: File): Promise<string> {
  const { data } = await client.mutate({
    mutation: CommunityUploadUrlDocument,
    variables: { contentType: file.type, size: file.size },
  });
  const ticket = data?.createUploadUrl;
  if (!ticket) throw new UploadError('no upload URL');
  const headers = new Headers();
  for (const h of ticket.headers) headers.set(h.name, h.value);
  const response = await fetch(ticket.url, { method: ticket.method, headers, body: file });
  if (!response.ok) throw new UploadError(`${response.status} ${response.statusText}`, response.status);
  await client.mutate({ mutation: CommunityConfirmUploadDocument, variables: { id: ticket.upload.id } });
  return ticket.upload.id;
}

/** Whether the browser-side checks pass: type and size (the server checks again). */
export function acceptableImage(file: File): 'type' | 'size' | null {
  if (!IMAGE_TYPES.includes(file.type)) return 'type';
  if (file.size > MAX_IMAGE_BYTES) return 'size';
  return null;
}

/** A fresh idempotency key (UUID v4). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
