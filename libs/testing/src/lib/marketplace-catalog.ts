/** Category slugs of the simulated marketplace (live-shopping verticals). */
export const SIMULATED_CATEGORIES = [
  'trading-cards',
  'sports-cards',
  'sneakers',
  'streetwear',
  'vintage-clothing',
  'handbags',
  'watches',
  'jewelry',
  'comics',
  'funko-pops',
  'video-games',
  'retro-consoles',
  'coins',
  'stamps',
  'vinyl-records',
  'books',
  'antiques',
  'home-decor',
  'beauty',
  'toys',
  'electronics',
  'knives',
  'crystals',
  'plants',
] as const;

const TITLE_OPENERS = [
  'Live breaks',
  'Midnight auction',
  'Mystery boxes',
  '$1 starts',
  'Fresh drops',
  'Collector night',
];
const TITLE_SUFFIXES = [
  '— giveaways every 15 min',
  'with rare pulls',
  ': everything must go',
  'and chill',
  'straight from the vault',
];

export function streamTitle(category: string, opener: number, suffix: number): string {
  const words = category.replace(/-/g, ' ');
  return `${TITLE_OPENERS[opener % TITLE_OPENERS.length]}: ${words} ${TITLE_SUFFIXES[suffix % TITLE_SUFFIXES.length]}`;
}

export function productTitle(category: string, n: number): string {
  return `${category.replace(/-/g, ' ')} lot #${n}`;
}

export const CHAT_LINES = [
  'let’s gooo',
  'what grade is that?',
  'ship to Canada?',
  'that pull is insane 🔥',
  'first time here, hi!',
  'how much for the bundle?',
  'run it back',
  'GG',
  'is the giveaway still open?',
  'love this seller',
];
