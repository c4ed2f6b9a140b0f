import { Outlet } from 'react-router-dom';
import { useAuth } from '../auth';
import { useT } from '../i18n';
import LayoutHeader from './LayoutHeader';

export default function Layout() {
  const t = useT();
  const { endedReason } = useAuth();
  return (
    <>
      <a href="#main" className="skip-link">
        {t('common.skipToContent')}
      </a>
      <LayoutHeader />
      {endedReason && endedReason !== 'signout' ? (
        <p className="notice" role="alert">
          {t('common.sessionEnded')}
        </p>
      ) : null}
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
