import { useQuery } from '@apollo/client';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import Chart, { type ChartDatum } from '../../components/Chart';
import { AdminPlatformStatsDocument, type AdminPlatformStatsQuery } from '../../gql/graphql';
import { useFormat, useLocale, useT } from '../../i18n';
import ErrorNote from '../../components/ErrorNote';
import { addDays, dayLabel, daysBetween, isDay, utcToday } from './dates';

type Stats = AdminPlatformStatsQuery['platformStats'];
type Metric = 'orders' | 'revenue' | 'signUps';
const PRESETS = [7, 30, 90, 365];
const MAX_DAYS = 366;

/** The figures of one metric as chart points, with the sentence a screen reader hears. */
function series(stats: Stats, metric: Metric, locale: 'ko' | 'en'): ChartDatum[] {
  return stats.days.map((d) => ({ key: d.day, label: dayLabel(d.day, locale), value: d[metric] }));
}

/** Platform statistics for a range of UTC days: totals, three daily charts, top products. */
export default function PlatformStats() {
  const t = useT();
  const fmt = useFormat();
  const locale = useLocale();
  const [range, setRange] = useState(() => ({ from: addDays(utcToday(), -29), to: utcToday() }));
  const [fromText, setFromText] = useState(range.from);
  const [toText, setToText] = useState(range.to);
  const [rangeError, setRangeError] = useState<string | null>(null);
  const { data, previousData, loading, error, refetch } = useQuery(AdminPlatformStatsDocument, {
    variables: range,
    fetchPolicy: 'cache-and-network',
  });
  const stats = (data ?? previousData)?.platformStats;

  const apply = (from: string, to: string) => {
    setFromText(from);
    setToText(to);
    setRangeError(null);
    setRange({ from, to });
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!isDay(fromText) || !isDay(toText)) return setRangeError(t('admin.errDates'));
    if (fromText > toText) return setRangeError(t('admin.errOrder'));
    if (daysBetween(fromText, toText) > MAX_DAYS) return setRangeError(t('admin.errSpan', { max: MAX_DAYS }));
    apply(fromText, toText);
  };

  const summaryOf = (metric: Metric, total: number, format: (n: number) => string) => {
    if (!stats) return '';
    const points = stats.days;
    const best = points.reduce((a, b) => (b[metric] > a[metric] ? b : a), points[0]);
    return t('admin.chartSummary', {
      metric: t(`admin.metric_${metric}`),
      from: dayLabel(stats.from, locale, true),
      to: dayLabel(stats.to, locale, true),
      total: format(total),
      max: best ? format(best[metric]) : format(0),
      day: best ? dayLabel(best.day, locale, true) : '',
    });
  };
  const count = (n: number) => n.toLocaleString(locale === 'ko' ? 'ko-KR' : 'en-US');
  const compactPrice = (n: number) =>
    new Intl.NumberFormat(locale === 'ko' ? 'ko-KR' : 'en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(n);

  return (
    <section aria-labelledby="admin-stats-heading" className="card stack">
      <h2 id="admin-stats-heading">{t('admin.statsTitle')}</h2>
      <form className="admin-range" noValidate onSubmit={onSubmit} aria-label={t('admin.rangeLabel')}>
        <div className="admin-field">
          <label htmlFor="stats-from">{t('admin.from')}</label>
          <input id="stats-from" type="date" value={fromText} max={toText || undefined} onChange={(e) => setFromText(e.target.value)} aria-invalid={rangeError ? true : undefined} aria-describedby={rangeError ? 'stats-range-error' : 'stats-range-hint'} />
        </div>
        <div className="admin-field">
          <label htmlFor="stats-to">{t('admin.to')}</label>
          <input id="stats-to" type="date" value={toText} min={fromText || undefined} onChange={(e) => setToText(e.target.value)} aria-invalid={rangeError ? true : undefined} aria-describedby={rangeError ? 'stats-range-error' : 'stats-range-hint'} />
        </div>
        <button type="submit" className="btn btn-primary">
          {t('admin.showRange')}
        </button>
        <div className="row admin-presets" role="group" aria-label={t('admin.presets')}>
          {PRESETS.map((days) => (
            <button key={days} type="button" className="btn" onClick={() => apply(addDays(utcToday(), -(days - 1)), utcToday())}>
              {t('admin.lastDays', { days })}
            </button>
          ))}
        </div>
        <p id="stats-range-hint" className="muted admin-range-hint">
          {t('admin.utcHint')}
        </p>
        {rangeError && (
          <p id="stats-range-error" className="admin-field-error" role="alert">
            {rangeError}
          </p>
        )}
      </form>
      <ErrorNote area="seller" error={error} onRetry={() => void refetch()} />
      <p role="status" className="muted">
        {loading ? t('common.loading') : stats ? t('admin.showing', { from: dayLabel(stats.from, locale, true), to: dayLabel(stats.to, locale, true) }) : ''}
      </p>
      {stats && (
        <>
          <dl className="admin-totals">
            <div>
              <dt>{t('admin.metric_signUps')}</dt>
              <dd>{count(stats.totalSignUps)}</dd>
            </div>
            <div>
              <dt>{t('admin.metric_orders')}</dt>
              <dd>{count(stats.totalOrders)}</dd>
            </div>
            <div>
              <dt>{t('admin.metric_revenue')}</dt>
              <dd>{fmt.price(stats.totalRevenue)}</dd>
            </div>
            <div>
              <dt>{t('admin.activeUsers')}</dt>
              <dd>{count(stats.activeUsers)}</dd>
            </div>
          </dl>
          <div className="admin-charts">
            <Chart
              title={t('admin.chartTitle_orders')}
              summary={summaryOf('orders', stats.totalOrders, count)}
              data={series(stats, 'orders', locale)}
              formatValue={count}
              labelHeader={t('admin.day')}
              valueHeader={t('admin.metric_orders')}
            />
            <Chart
              title={t('admin.chartTitle_revenue')}
              summary={summaryOf('revenue', stats.totalRevenue, fmt.price)}
              data={series(stats, 'revenue', locale)}
              formatValue={fmt.price}
              formatTick={compactPrice}
              kind="line"
              labelHeader={t('admin.day')}
              valueHeader={t('admin.metric_revenue')}
            />
            <Chart
              title={t('admin.chartTitle_signUps')}
              summary={summaryOf('signUps', stats.totalSignUps, count)}
              data={series(stats, 'signUps', locale)}
              formatValue={count}
              labelHeader={t('admin.day')}
              valueHeader={t('admin.metric_signUps')}
            />
          </div>
          <h3>{t('admin.topProducts')}</h3>
          {stats.topProducts.length === 0 ? (
            <p>{t('admin.noTopProducts')}</p>
          ) : (
            <div className="admin-table-wrap">
              <table className="admin-table">
                <caption className="visually-hidden">{t('admin.topProductsCaption')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('admin.rank')}</th>
                    <th scope="col">{t('admin.product')}</th>
                    <th scope="col" className="num">
                      {t('admin.quantity')}
                    </th>
                    <th scope="col" className="num">
                      {t('admin.metric_revenue')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {stats.topProducts.map((p, i) => (
                    <tr key={`${p.product?.id ?? p.name}-${i}`}>
                      <td>{i + 1}</td>
                      <th scope="row">{p.product ? <Link to={`/products/${encodeURIComponent(p.product.id)}`}>{p.name}</Link> : p.name}</th>
                      <td className="num">{count(p.quantity)}</td>
                      <td className="num">{fmt.price(p.revenue)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
