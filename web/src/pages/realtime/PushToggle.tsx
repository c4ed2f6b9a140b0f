import { useEffect, useState } from 'react';
import { useT } from '../../i18n';
import { currentSubscription, disablePush, enablePush, pushPermission, pushSupported, type PushSupport } from '../../push';

/** "Enable push notifications": permission, subscription with the VAPID key, registration on the server. */
export default function PushToggle() {
  const t = useT();
  const [permission, setPermission] = useState<PushSupport>(pushPermission);
  const [subscribed, setSubscribed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void currentSubscription().then((s) => live && setSubscribed(Boolean(s)));
    return () => {
      live = false;
    };
  }, []);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(t('realtime.pushFailed', { message: e instanceof Error ? e.message : String(e) }));
    } finally {
      setBusy(false);
    }
  }

  const supported = pushSupported();
  return (
    <section className="card stack push-toggle" aria-labelledby="push-title">
      <h2 id="push-title">{t('realtime.pushTitle')}</h2>
      <p className="muted">{t('realtime.pushExplain')}</p>
      {!supported ? <p>{t('realtime.pushUnsupported')}</p> : null}
      {supported && permission === 'denied' ? <p>{t('realtime.pushDenied')}</p> : null}
      {supported && subscribed ? <p role="status">{t('realtime.pushOn')}</p> : null}
      {supported && permission !== 'denied' ? (
        subscribed ? (
          <button type="button" className="btn" disabled={busy} onClick={() => run(async () => {
            await disablePush();
            setSubscribed(false);
          })}>
            {t('realtime.pushDisable')}
          </button>
        ) : (
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => run(async () => {
            const result = await enablePush();
            setPermission(result);
            setSubscribed(result === 'granted');
          })}>
            {t('realtime.pushEnable')}
          </button>
        )
      ) : null}
      {error ? <p className="error" role="alert">{error}</p> : null}
    </section>
  );
}
