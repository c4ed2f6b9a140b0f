import { RequireAuth, useAuth } from '../../auth';
import { useT } from '../../i18n';
import PendingStores from './PendingStores';
import PlatformStats from './PlatformStats';
import '../../styles/admin.css';

function AdminContent() {
  const t = useT();
  const { user } = useAuth();
  if (user?.role !== 'ADMIN') {
    return (
      <div className="page admin-page stack">
        <h1>{t('admin.forbiddenTitle')}</h1>
        <p role="alert" className="admin-forbidden">
          {t('admin.forbiddenBody')}
        </p>
      </div>
    );
  }
  return (
    <div className="page admin-page stack">
      <h1>{t('admin.title')}</h1>
      <PendingStores />
      <PlatformStats />
    </div>
  );
}

/** /admin: store applications to approve or reject, and the platform's statistics (admins only). */
export default function AdminHome() {
  return (
    <RequireAuth>
      <AdminContent />
    </RequireAuth>
  );
}
