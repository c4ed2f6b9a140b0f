import { useApolloClient } from '@apollo/client';
import { useId, useRef, useState } from 'react';
import { useT } from '../../i18n';
import { describeError } from '../../errors';
import { checkImage, PutFailed, uploadImage } from './uploads';

/** One photo of the editor: already on the product, uploaded now, or an external URL typed now. */
export type Photo = { key: string; url: string; thumbnailUrl: string | null; uploadId?: string };

export const MAX_PHOTOS = 10;

/**
 * A photo stored by this server is served at `/files/<upload id>.<ext>`; its
 * upload id lets an update keep it as a stored photo (with its thumbnails).
 */
function storedUploadId(url: string): string | null {
  const m = /\/files\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(?:jpe?g|png|webp)$/i.exec(url);
  return m ? m[1] : null;
}

/**
 * The photos `createProduct` / `updateProduct` take: stored uploads
 * (`imageUploadIds`, shown first) and http(s) URLs (`images`). A photo the
 * product already has goes back as its upload id when it is stored here,
 * else as its absolute URL.
 */
export function photoInput(photos: Photo[]): { imageUploadIds: string[]; images: string[] } {
  const imageUploadIds: string[] = [];
  const images: string[] = [];
  for (const p of photos) {
    const id = p.uploadId ?? storedUploadId(p.url);
    if (id) imageUploadIds.push(id);
    else images.push(new URL(p.url, window.location.origin).href);
  }
  return { imageUploadIds, images };
}

type Props = { photos: Photo[]; onChange: (photos: Photo[]) => void; error?: string | null };

/** Adds photos by direct upload (createUploadUrl, PUT, confirmUpload) or by URL, and removes them. */
export default function PhotoPicker({ photos, onChange, error }: Props) {
  const t = useT();
  const client = useApolloClient();
  const uid = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(0);
  const [status, setStatus] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [urlText, setUrlText] = useState('');
  const latest = useRef(photos);
  latest.current = photos;

  const addFiles = async (files: FileList | null) => {
    if (!files?.length) return;
    setProblem(null);
    const room = MAX_PHOTOS - latest.current.length;
    const chosen = Array.from(files).slice(0, Math.max(room, 0));
    if (files.length > room) setProblem(t('seller.photosTooMany', { max: MAX_PHOTOS }));
    for (const file of chosen) {
      const bad = checkImage(file);
      if (bad) {
        setProblem(t(bad === 'type' ? 'seller.photoBadType' : 'seller.photoTooBig', { name: file.name }));
        continue;
      }
      setBusy((n) => n + 1);
      setStatus(t('seller.photoUploading', { name: file.name }));
      try {
        const up = await uploadImage(client, file);
        const next = [...latest.current, { key: up.uploadId, url: up.url, thumbnailUrl: up.thumbnailUrl, uploadId: up.uploadId }];
        latest.current = next;
        onChange(next);
        setStatus(t('seller.photoUploaded', { name: file.name }));
      } catch (err) {
        setStatus('');
        setProblem(
          err instanceof PutFailed
            ? t('seller.photoPutFailed', { name: file.name, status: err.status })
            : t('seller.photoFailed', { name: file.name, reason: describeError(t, err, 'seller') }),
        );
      } finally {
        setBusy((n) => n - 1);
      }
    }
    if (fileInput.current) fileInput.current.value = '';
  };

  const addUrl = () => {
    const value = urlText.trim();
    let ok = false;
    try {
      const u = new URL(value);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) {
      setProblem(t('seller.photoBadUrl'));
      return;
    }
    if (latest.current.length >= MAX_PHOTOS) {
      setProblem(t('seller.photosTooMany', { max: MAX_PHOTOS }));
      return;
    }
    setProblem(null);
    onChange([...latest.current, { key: `url-${Date.now()}-${value}`, url: value, thumbnailUrl: null }]);
    setUrlText('');
  };

  const remove = (key: string) => onChange(photos.filter((p) => p.key !== key));

  return (
    <fieldset className="seller-photos stack" aria-describedby={error ? `${uid}-error` : undefined}>
      <legend>{t('seller.photos')}</legend>
      <p className="muted">{t('seller.photosHint', { max: MAX_PHOTOS })}</p>
      {photos.length === 0 ? (
        <p>{t('seller.noPhotos')}</p>
      ) : (
        <ul className="seller-photo-list">
          {photos.map((p, i) => (
            <li key={p.key}>
              <img src={p.thumbnailUrl ?? p.url} alt={t('seller.photoAlt', { n: i + 1 })} width={96} height={96} loading="lazy" />
              <button type="button" className="btn seller-btn-sm" onClick={() => remove(p.key)} aria-label={t('seller.removePhoto', { n: i + 1 })}>
                {t('seller.remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="seller-field">
        <label htmlFor={`${uid}-file`}>{t('seller.uploadPhotos')}</label>
        <input
          ref={fileInput}
          id={`${uid}-file`}
          type="file"
          accept="image/jpeg,image/png,image/webp"
          multiple
          disabled={busy > 0 || photos.length >= MAX_PHOTOS}
          onChange={(e) => void addFiles(e.target.files)}
        />
      </div>
      <div className="seller-form-row seller-url-row">
        <div className="seller-field">
          <label htmlFor={`${uid}-url`}>{t('seller.photoUrl')}</label>
          <input
            id={`${uid}-url`}
            type="url"
            inputMode="url"
            value={urlText}
            placeholder="https://"
            onChange={(e) => setUrlText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                addUrl();
              }
            }}
          />
        </div>
        <button type="button" className="btn" onClick={addUrl}>
          {t('seller.addPhotoUrl')}
        </button>
      </div>
      <p role="status" className="muted">
        {status}
      </p>
      {(problem || error) && (
        <p className="seller-field-error" role="alert" id={`${uid}-error`}>
          {problem ?? error}
        </p>
      )}
    </fieldset>
  );
}
