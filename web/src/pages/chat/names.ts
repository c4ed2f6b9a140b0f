import type { TFunction } from '../../i18n';

type Member = { id: string; nickname: string };
type ConversationLike = { kind: string; title?: string | null; members: readonly Member[] };

/** The other members of a conversation (everyone but the viewer). */
export function othersOf<M extends Member>(members: readonly M[], viewerId: string | undefined): M[] {
  return members.filter((m) => m.id !== viewerId);
}

/** What a conversation is called: its title, else its other members' nicknames. */
export function conversationName(t: TFunction, c: ConversationLike, viewerId: string | undefined): string {
  if (c.title) return c.title;
  const names = othersOf(c.members, viewerId).map((m) => m.nickname);
  if (c.kind === 'INQUIRY') return names.length ? `${t('chat.inquiry')}: ${names.join(', ')}` : t('chat.inquiry');
  if (c.kind === 'GROUP') return t('chat.group', { names: names.join(', ') });
  return names[0] ?? t('chat.untitled');
}
