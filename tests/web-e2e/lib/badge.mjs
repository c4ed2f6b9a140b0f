// The header's notification bell: the unread count it shows.

/** The unread count on the bell (0 when the badge is hidden or empty). */
export async function unreadBadge(page) {
  const badge = page.getByTestId('notification-badge').first();
  if (!(await badge.count()) || !(await badge.isVisible())) return 0;
  const text = (await badge.innerText()).trim();
  const digits = text.match(/\d+/);
  return digits ? Number(digits[0]) : 0;
}
