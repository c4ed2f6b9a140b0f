// The demo accounts `vitrine seed-demo` makes (src/demo/mod.rs). Each scenario
// uses its own people, so scenarios do not see each other's notifications.
// tests/web.rs seeds 6 buyers (buyer01..buyer06): stay within them.
export const PASSWORD = 'vitrine-demo-pass';
export const ADMIN = 'admin@demo.vitrine.dev';
export const ADMIN_PASSWORD = 'vitrine-demo-admin';

export const BUYER = 'buyer01@demo.vitrine.dev'; // shop
export const CREATOR = 'creator1@demo.vitrine.dev'; // design
export const READER = 'buyer03@demo.vitrine.dev'; // notifications (many unread)
export const CHAT_A = 'buyer04@demo.vitrine.dev'; // chat: buyer04 and creator4 share a conversation
export const CHAT_B = 'creator4@demo.vitrine.dev';
export const MEMBER = 'buyer02@demo.vitrine.dev'; // community: like, comment, follow
export const ASKER = 'buyer06@demo.vitrine.dev'; // assistant
export const SELLER = 'seller1@demo.vitrine.dev';
export const PUSHED = 'buyer05@demo.vitrine.dev'; // web push
export const RECONNECT_B = 'buyer05@demo.vitrine.dev'; // reconnect (after push): buyer05 and creator5 share a conversation
export const RECONNECT_A = 'creator5@demo.vitrine.dev';
