import { useId, useState } from 'react';
import { useT } from '../../i18n';
import { shareUrl } from './customCartRef';

/** The share link in a read-only field and a "Copy share link" button. */
export default function ShareLink({ slug, isPrivate }: { slug: string; isPrivate: boolean }) {
  const t = useT();
  const id = useId();
  const [status, setStatus] = useState<'copied' | 'failed' | null>(null);
  const url = shareUrl(slug);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setStatus('copied');
    } catch {
      const field = document.getElementById(`${id}-url`) as HTMLInputElement | null;
      field?.select();
      setStatus('failed');
    }
  };

  return (
    <div className="shop-share stack">
      <label htmlFor={`${id}-url`}>{t('shop.shareLink')}</label>
      <div className="row">
        <input id={`${id}-url`} readOnly value={url} className="shop-share-url" onFocus={(e) => e.target.select()} />
        <button type="button" className="btn btn-primary" onClick={() => void copy()}>
          {t('shop.copyShareLink')}
        </button>
      </div>
      {isPrivate && <p className="shop-warning">{t('shop.privateLinkNote')}</p>}
      <p aria-live="polite" className="shop-copy-status">
        {status === 'copied' ? t('shop.linkCopied') : status === 'failed' ? t('shop.linkCopyFailed') : ''}
      </p>
    </div>
  );
}
