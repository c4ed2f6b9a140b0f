/** The number inside a Relay global id (`Order:76` → `76`), for people; the id itself otherwise. */
export function shortId(id: string): string {
  try {
    const decoded = atob(id.replace(/-/g, '+').replace(/_/g, '/'));
    const n = decoded.split(':')[1];
    if (n && /^\d+$/.test(n)) return n;
  } catch {
    // not base64: shown as it is
  }
  return id;
}
