/**
 * ERC-721 metadata of minted (or being minted) cards and parcels, and an SVG image of each drawn from the game
 * data alone (no external assets, no fonts beyond the generic families). The lookups serve only tokens the mint
 * pipeline knows (a live mint item or a token id on the row): an in-game card has no public metadata.
 */
import { AppError } from '@harvest/shared/errors';
import type { Db } from '../index.ts';

/** ERC-721 metadata JSON (OpenSea's attribute form). */
export interface TokenMetadata {
  name: string;
  description: string;
  /** The SVG image as a data URI, so the JSON alone renders anywhere. */
  image: string;
  attributes: Array<{ trait_type: string; value: string | number; display_type?: 'number' | 'date' | 'boost_number' }>;
}

/** What a card's image and metadata are drawn from. */
export interface CardArt {
  tokenId: string;
  definitionId: string;
  name: string;
  rarity: string;
  element: string;
  kind: string;
  cost: number;
  attack: number | null;
  health: number | null;
  keywords: string[];
  flavour: string | null;
  effect: string | null;
  origin: string;
  craftedBy: string | null;
  recipe: string | null;
  craftedAt: Date | null;
}

/** What a parcel's image and metadata are drawn from. */
export interface LandArt {
  tokenId: string;
  parcelId: string;
  biome: string;
  plots: number;
  fertility: number;
  perk: { id: string; name: string; kind: string; detail: string } | null;
}

const ELEMENT_COLOURS: Record<string, [string, string]> = {
  sun: ['#f6b93b', '#e55039'],
  rain: ['#4a69bd', '#1e3799'],
  soil: ['#8d6e63', '#4e342e'],
  frost: ['#82ccdd', '#3c6382'],
};
const RARITY_COLOURS: Record<string, string> = {
  common: '#b0b0b0',
  uncommon: '#2ecc71',
  rare: '#3498db',
  epic: '#9b59b6',
  legendary: '#f39c12',
};
const BIOME_COLOURS: Record<string, [string, string]> = {
  meadow: ['#a8e063', '#56ab2f'],
  orchard: ['#f8b195', '#c06c84'],
  marsh: ['#76b39d', '#2f5d62'],
  highland: ['#bdc3c7', '#636e72'],
};

/** Escapes text for SVG/XML content and attributes. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

const title = (id: string) => id.replace(/(^|-)([a-z])/g, (_, sep: string, c: string) => `${sep ? ' ' : ''}${c.toUpperCase()}`);

/** Splits text into lines of at most `width` characters (by words), at most `max` lines. */
function wrap(text: string, width: number, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && `${line} ${word}`.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  if (lines.length > max) return [...lines.slice(0, max - 1), `${(lines[max - 1] ?? '').slice(0, width - 1)}…`];
  return lines;
}

const textLines = (lines: string[], x: number, y: number, size: number, extra = '') =>
  lines.map((l, i) => `<text x="${x}" y="${y + i * (size + 4)}" font-size="${size}" ${extra}>${xmlEscape(l)}</text>`).join('');

/** The SVG of a card: element frame, rarity gem, cost, name, stats, keywords, effect and flavour. */
export function renderCardSvg(card: CardArt): string {
  const [light, dark] = ELEMENT_COLOURS[card.element] ?? ['#cccccc', '#555555'];
  const gem = RARITY_COLOURS[card.rarity] ?? '#ffffff';
  const rules = [card.keywords.join(' · '), card.effect ?? ''].filter(Boolean).join('. ');
  // Unique per token: several images inlined in one page must not share a gradient id.
  const bg = `card-bg-${card.tokenId}`;
  const stats =
    card.attack !== null && card.health !== null
      ? `<circle cx="40" cy="440" r="26" fill="#c0392b" stroke="#fff" stroke-width="3"/><text x="40" y="449" font-size="26" text-anchor="middle" fill="#fff" font-weight="bold">${card.attack}</text>` +
        `<circle cx="280" cy="440" r="26" fill="#27ae60" stroke="#fff" stroke-width="3"/><text x="280" y="449" font-size="26" text-anchor="middle" fill="#fff" font-weight="bold">${card.health}</text>`
      : '';
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 480" width="320" height="480" font-family="Georgia, serif">',
    `<defs><linearGradient id="${bg}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${light}"/><stop offset="1" stop-color="${dark}"/></linearGradient></defs>`,
    `<rect x="4" y="4" width="312" height="472" rx="18" fill="url(#${bg})" stroke="#222" stroke-width="4"/>`,
    '<rect x="20" y="70" width="280" height="170" rx="10" fill="#fffbe6" fill-opacity="0.85"/>',
    `<text x="160" y="165" font-size="64" text-anchor="middle" fill="${dark}" font-weight="bold">${xmlEscape(card.element.slice(0, 1).toUpperCase())}</text>`,
    `<text x="160" y="215" font-size="14" text-anchor="middle" fill="#333">${xmlEscape(`${title(card.element)} ${card.kind}`)}</text>`,
    `<circle cx="38" cy="38" r="24" fill="#1e90ff" stroke="#fff" stroke-width="3"/><text x="38" y="47" font-size="24" text-anchor="middle" fill="#fff" font-weight="bold">${card.cost}</text>`,
    `<text x="170" y="46" font-size="20" text-anchor="middle" fill="#fff" font-weight="bold">${xmlEscape(card.name)}</text>`,
    `<polygon points="160,248 170,258 160,268 150,258" fill="${gem}" stroke="#222"/>`,
    '<rect x="20" y="276" width="280" height="130" rx="10" fill="#ffffff" fill-opacity="0.9"/>',
    textLines(wrap(rules, 34, 4), 30, 298, 14, 'fill="#222"'),
    card.flavour ? textLines(wrap(card.flavour, 38, 2), 30, 376, 11, 'fill="#555" font-style="italic"') : '',
    stats,
    `<text x="160" y="466" font-size="10" text-anchor="middle" fill="#fff">${xmlEscape(`${title(card.rarity)} · #${card.tokenId.slice(-6)}`)}</text>`,
    '</svg>',
  ].join('');
}

/** The SVG of a parcel: biome colours, a grid of its plots, fertility and perk. */
export function renderLandSvg(land: LandArt): string {
  const [light, dark] = BIOME_COLOURS[land.biome] ?? ['#dddddd', '#777777'];
  const cols = Math.min(4, land.plots);
  const cells: string[] = [];
  for (let i = 0; i < land.plots; i++) {
    const x = 40 + (i % cols) * 62;
    const y = 110 + Math.floor(i / cols) * 46;
    cells.push(`<rect x="${x}" y="${y}" width="54" height="38" rx="6" fill="#6d4c41" stroke="#3e2723" stroke-width="2"/>`);
  }
  const perk = land.perk ? `${land.perk.name}: ${land.perk.detail}` : 'No perk';
  const bg = `land-bg-${land.tokenId}`;
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 480" width="320" height="480" font-family="Georgia, serif">',
    `<defs><linearGradient id="${bg}" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${light}"/><stop offset="1" stop-color="${dark}"/></linearGradient></defs>`,
    `<rect x="4" y="4" width="312" height="472" rx="18" fill="url(#${bg})" stroke="#222" stroke-width="4"/>`,
    `<text x="160" y="50" font-size="24" text-anchor="middle" fill="#fff" font-weight="bold">${xmlEscape(title(land.parcelId))}</text>`,
    `<text x="160" y="80" font-size="14" text-anchor="middle" fill="#fff">${xmlEscape(`${title(land.biome)} · ${land.plots} plots`)}</text>`,
    ...cells,
    '<rect x="20" y="400" width="280" height="64" rx="10" fill="#ffffff" fill-opacity="0.9"/>',
    `<text x="30" y="420" font-size="13" fill="#222">${xmlEscape(`Fertility ${land.fertility} (grow time ×${land.fertility})`)}</text>`,
    textLines(wrap(perk, 40, 2), 30, 438, 12, 'fill="#222"'),
    '</svg>',
  ].join('');
}

/** An SVG as a data URI. */
export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

/** Card metadata: rarity, element, cost, attack, health, keywords, and the provenance of crafted cards. */
export function cardMetadata(card: CardArt): TokenMetadata {
  const attributes: TokenMetadata['attributes'] = [
    { trait_type: 'Rarity', value: title(card.rarity) },
    { trait_type: 'Element', value: title(card.element) },
    { trait_type: 'Kind', value: title(card.kind) },
    { trait_type: 'Cost', value: card.cost, display_type: 'number' },
  ];
  if (card.attack !== null) attributes.push({ trait_type: 'Attack', value: card.attack, display_type: 'number' });
  if (card.health !== null) attributes.push({ trait_type: 'Health', value: card.health, display_type: 'number' });
  for (const keyword of card.keywords) attributes.push({ trait_type: 'Keyword', value: keyword });
  attributes.push({ trait_type: 'Origin', value: title(card.origin) });
  if (card.craftedBy !== null) attributes.push({ trait_type: 'Crafted by', value: card.craftedBy });
  if (card.recipe !== null) attributes.push({ trait_type: 'Recipe', value: card.recipe });
  if (card.craftedAt !== null)
    attributes.push({ trait_type: 'Crafted at', value: Math.floor(card.craftedAt.getTime() / 1000), display_type: 'date' });
  const description = [card.effect, card.flavour].filter(Boolean).join(' — ') || `${title(card.rarity)} ${card.element} ${card.kind}.`;
  return { name: card.name, description: `${description} A Harvest Battles card.`, image: svgDataUri(renderCardSvg(card)), attributes };
}

/** Land metadata: biome, plots, fertility, perk. */
export function landMetadata(land: LandArt): TokenMetadata {
  const attributes: TokenMetadata['attributes'] = [
    { trait_type: 'Biome', value: title(land.biome) },
    { trait_type: 'Plots', value: land.plots, display_type: 'number' },
    { trait_type: 'Fertility', value: land.fertility, display_type: 'number' },
    { trait_type: 'Perk', value: land.perk?.name ?? 'None' },
  ];
  return {
    name: `${title(land.parcelId)} (${title(land.biome)})`,
    description: `A Harvest Battles land parcel: ${land.plots} farm plots in the ${land.biome}; crops grow in ×${land.fertility} of their time.${land.perk ? ` Perk: ${land.perk.name} (${land.perk.detail}).` : ''}`,
    image: svgDataUri(renderLandSvg(land)),
    attributes,
  };
}

/** Contract-level metadata (ERC-7572 `contractURI`). */
export function collectionMetadata(kind: 'cards' | 'land'): { name: string; description: string; image: string } {
  const svg =
    kind === 'cards'
      ? renderCardSvg({
          tokenId: '0',
          definitionId: 'harvest-battles',
          name: 'Harvest Battles',
          rarity: 'legendary',
          element: 'sun',
          kind: 'collection',
          cost: 0,
          attack: null,
          health: null,
          keywords: [],
          flavour: 'Farm, craft, battle.',
          effect: 'Cards of the Harvest Battles card game',
          origin: 'starter',
          craftedBy: null,
          recipe: null,
          craftedAt: null,
        })
      : renderLandSvg({ tokenId: '0', parcelId: 'harvest-battles-land', biome: 'meadow', plots: 8, fertility: 1, perk: null });
  return kind === 'cards'
    ? {
        name: 'Harvest Battles Cards',
        description: 'Cards of Harvest Battles, minted from the game by their players.',
        image: svgDataUri(svg),
      }
    : {
        name: 'Harvest Battles Land',
        description: 'Land parcels of Harvest Battles: farm plots, fertility and perks.',
        image: svgDataUri(svg),
      };
}

function keywordText(keyword: unknown): string {
  if (typeof keyword === 'string') return title(keyword);
  if (keyword && typeof keyword === 'object') {
    const [name, value] = Object.entries(keyword as Record<string, unknown>)[0] ?? [];
    if (name) return `${title(name)} ${String(value)}`;
  }
  return String(keyword);
}

function effectText(effect: unknown): string | null {
  if (!effect || typeof effect !== 'object') return null;
  const e = effect as Record<string, unknown>;
  const type = String(e.type ?? '');
  const amount = e.amount ?? '';
  switch (type) {
    case 'damage':
      return `Deal ${amount} damage`;
    case 'heal':
      return `Heal ${amount}`;
    case 'draw':
      return `Draw ${amount}`;
    case 'buff':
      return `Give a unit +${e.attack ?? 0}/+${e.health ?? 0}`;
    case 'summon':
      return `Summon ${title(String(e.token ?? e.card ?? 'a token'))}`;
    default:
      return type ? title(type) : null;
  }
}

const TOKEN_ID = /^(0|[1-9][0-9]{0,77})$/;

/**
 * The art of the card whose token id is `tokenId` (on `chainId` when given), if the mint pipeline knows it:
 * TOKEN_NOT_FOUND otherwise.
 */
export async function getCardArt(db: Db, input: { tokenId: string; chainId?: number }): Promise<CardArt> {
  const notFound = new AppError('TOKEN_NOT_FOUND', `no card token ${input.tokenId}`);
  if (!TOKEN_ID.test(input.tokenId)) throw notFound;
  const rows = await db.$queryRaw<
    Array<{
      definition_id: string;
      origin: string;
      crafted_at: Date | null;
      crafter: string | null;
      recipe_name: string | null;
      recipe_id: string | null;
      name: string | null;
      rarity: string | null;
      element: string | null;
      kind: string | null;
      cost: number | null;
      definition: Record<string, unknown> | null;
    }>
  >`
    SELECT c.definition_id, c.origin::text AS origin, c.crafted_at, p.display_name AS crafter, r.name AS recipe_name, c.recipe_id,
           d.name, d.rarity, d.element, d.kind, d.cost, d.definition
    FROM card_instances c
    JOIN card_definitions d ON d.id = c.definition_id
    LEFT JOIN players p ON p.id = c.crafted_by_id
    LEFT JOIN recipes r ON r.id = c.recipe_id
    WHERE c.token_id = ${input.tokenId}::numeric
       OR c.id = (SELECT card_id FROM mint_items WHERE token_id = ${input.tokenId}::numeric AND card_id IS NOT NULL AND live
                    AND (${input.chainId ?? null}::int IS NULL OR chain_id = ${input.chainId ?? null}::int) LIMIT 1)
    LIMIT 1`;
  const row = rows[0];
  if (!row) throw notFound;
  const def = row.definition ?? {};
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  return {
    tokenId: input.tokenId,
    definitionId: row.definition_id,
    name: row.name ?? title(row.definition_id),
    rarity: row.rarity ?? 'common',
    element: row.element ?? 'soil',
    kind: row.kind ?? 'unit',
    cost: row.cost ?? 0,
    attack: num(def.attack),
    health: num(def.health),
    keywords: Array.isArray(def.keywords) ? def.keywords.map(keywordText) : [],
    flavour: typeof def.flavour === 'string' ? def.flavour : null,
    effect: effectText(def.effect),
    origin: row.origin,
    craftedBy: row.origin === 'crafted' ? (row.crafter ?? 'a player') : null,
    recipe: row.recipe_name ?? (row.recipe_id ? title(row.recipe_id) : null),
    craftedAt: row.crafted_at,
  };
}

/** The art of the parcel whose token id is `tokenId`, if it is minted or being minted: TOKEN_NOT_FOUND otherwise. */
export async function getLandArt(db: Db, input: { tokenId: string; chainId?: number }): Promise<LandArt> {
  const notFound = new AppError('TOKEN_NOT_FOUND', `no land token ${input.tokenId}`);
  if (!TOKEN_ID.test(input.tokenId)) throw notFound;
  const rows = await db.$queryRaw<
    Array<{ id: string; biome: string; plots: number; fertility: number; perk: Record<string, unknown> | null }>
  >`
    SELECT id, biome, plots, fertility, perk FROM land_parcels
    WHERE token_id = ${input.tokenId}::numeric
       OR id = (SELECT land_id FROM mint_items WHERE token_id = ${input.tokenId}::numeric AND land_id IS NOT NULL AND live
                  AND (${input.chainId ?? null}::int IS NULL OR chain_id = ${input.chainId ?? null}::int) LIMIT 1)
    LIMIT 1`;
  const row = rows[0];
  if (!row) throw notFound;
  const perk = row.perk;
  return {
    tokenId: input.tokenId,
    parcelId: row.id,
    biome: row.biome,
    plots: row.plots,
    fertility: row.fertility,
    perk: perk
      ? {
          id: String(perk.id ?? ''),
          name: String(perk.name ?? perk.id ?? 'Perk'),
          kind: String(perk.kind ?? ''),
          detail:
            perk.kind === 'extra_yield'
              ? `+${String(perk.amount ?? '')} ${String(perk.crop ?? '')} per harvest`
              : perk.kind === 'exclusive_recipe'
                ? `unlocks the ${title(String(perk.recipe ?? ''))} recipe`
                : String(perk.kind ?? ''),
        }
      : null,
  };
}
