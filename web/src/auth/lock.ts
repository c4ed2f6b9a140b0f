/**
 * A mutex shared by every tab of this origin, so that only one tab at a time presents
 * the (single-use) refresh token. Web Locks where the browser has them, otherwise a
 * lease in localStorage (best effort: a writer re-reads its own lease before going on).
 */
const NAME = 'vitrine-auth-refresh';
const LEASE_KEY = 'vitrine.refreshLock';
const LEASE_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withRefreshLock<T>(owner: string, fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (locks) return locks.request(NAME, { mode: 'exclusive' }, fn) as Promise<T>;
  for (let attempt = 0; attempt < 200; attempt++) {
    const now = Date.now();
    let held: { owner: string; until: number } | null = null;
    try {
      held = JSON.parse(localStorage.getItem(LEASE_KEY) ?? 'null');
    } catch {
      held = null;
    }
    if (!held || held.until < now || held.owner === owner) {
      try {
        localStorage.setItem(LEASE_KEY, JSON.stringify({ owner, until: now + LEASE_MS }));
      } catch {
        return fn();
      }
      await sleep(30);
      const mine = JSON.parse(localStorage.getItem(LEASE_KEY) ?? 'null') as { owner: string } | null;
      if (mine?.owner === owner) {
        try {
          return await fn();
        } finally {
          localStorage.removeItem(LEASE_KEY);
        }
      }
    }
    await sleep(100 + Math.random() * 100);
  }
  return fn();
}
