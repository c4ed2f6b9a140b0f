/** Today's UTC day as `YYYY-MM-DD` (platformStats counts UTC days). */
export function utcToday(): string {
  return new Date().toISOString().slice(0, 10);
}

/** `day` moved by `delta` days, as `YYYY-MM-DD`. */
export function addDays(day: string, delta: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + delta);
  return d.toISOString().slice(0, 10);
}

/** Whole days from `from` to `to`, both counted. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

export function isDay(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
}

/** A UTC day for people: short ("Dec 2" / "12월 2일") or long. */
export function dayLabel(day: string, locale: 'ko' | 'en', long = false): string {
  return new Intl.DateTimeFormat(locale === 'ko' ? 'ko-KR' : 'en-US', {
    timeZone: 'UTC',
    month: 'short',
    day: 'numeric',
    ...(long ? { year: 'numeric' } : {}),
  }).format(new Date(`${day}T00:00:00Z`));
}
