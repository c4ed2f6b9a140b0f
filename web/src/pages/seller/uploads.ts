import type { ApolloClient } from '@apollo/client';
import { SellerConfirmUploadDocument, SellerUploadUrlDocument } from '../../gql/graphql';

/** The image types the server accepts (it judges again from the bytes). */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
/** `VITRINE_UPLOAD_MAX_BYTES`' default, 10 MiB. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

export class PutFailed extends Error {
  constructor(readonly status: number) {
    super(`PUT ${status}`);
    this.name = 'PutFailed';
  }
}

export type UploadedImage = { uploadId: string; url: string; thumbnailUrl: string | null };

/**
 * The direct upload (OPS-4): `createUploadUrl`, a PUT of the file to its URL
 * with exactly the headers given, then `confirmUpload`. Answers the upload id
 * (for `imageUploadIds`) and the stored image's URLs for a preview.
 */
export async function uploadImage(client: ApolloClient<unknown>, file: File): Promise<UploadedImage> {
  const { data } = await client.mutate({
    mutation: SellerUploadUrlDocument,
    variables: { contentType: file.type, size: file.size },
  });
  const ticket = data?.createUploadUrl;
  if (!ticket) throw new Error('createUploadUrl answered nothing');
  const headers = new Headers();
  for (const h of ticket.headers) headers.set(h.name, h.value);
  const response = await fetch(ticket.url, { method: ticket.method, headers, body: file });
  if (!response.ok) throw new PutFailed(response.status);
  const confirmed = await client.mutate({ mutation: SellerConfirmUploadDocument, variables: { id: ticket.upload.id } });
  const image = confirmed.data?.confirmUpload.image;
  return { uploadId: ticket.upload.id, url: image?.url ?? '', thumbnailUrl: image?.thumbnailUrl ?? null };
}

/** The browser-side checks (the server checks again): 'type', 'size' or null. */
export function checkImage(file: File): 'type' | 'size' | null {
  if (!IMAGE_TYPES.includes(file.type)) return 'type';
  if (file.size > MAX_IMAGE_BYTES) return 'size';
  return null;
}
